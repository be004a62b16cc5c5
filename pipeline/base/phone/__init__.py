"""Signal processing for phone calls, pure and transport-independent: DTMF (Goertzel detector and tone
generator), answering-machine detection over speech activity, and voicemail-beep detection."""
