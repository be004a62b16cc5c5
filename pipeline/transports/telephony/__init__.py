"""Telephony media streams (Twilio, Plivo, Telnyx): wire formats, answer documents, webhook signatures, the
audio edge and the transport that joins a platform's WebSocket to a session."""
