// The page's audio: one AudioContext at the device's rate, a capture worklet that resamples the microphone to
// the session rate, and a playback worklet (a jitter buffer) that resamples agent audio to the device's rate.

export class CallAudio {
  // onFrame(ArrayBuffer): a PCM16 frame of caller audio; onPlayback(message): the playback worklet's reports
  // voiceProcessing: the browser's echo cancellation, noise suppression and gain control (on for speakers;
  // off for a headset or a test recording, which it would otherwise alter)
  constructor({ sessionRate, frameMs = 20, prerollMs = 60, maxBufferMs = 60000, voiceProcessing = true, onFrame, onPlayback }) {
    this.options = { sessionRate, frameMs, prerollMs, maxBufferMs, voiceProcessing };
    this.onFrame = onFrame;
    this.onPlayback = onPlayback;
    this.context = null;
    this.stream = null;
  }

  async start() {
    const { sessionRate, frameMs, prerollMs, maxBufferMs, voiceProcessing } = this.options;
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: {
        channelCount: 1,
        echoCancellation: voiceProcessing,
        noiseSuppression: voiceProcessing,
        autoGainControl: voiceProcessing,
      },
    });
    this.context = new AudioContext({ latencyHint: "interactive" });
    const base = new URL(".", import.meta.url);
    await this.context.audioWorklet.addModule(new URL("capture-worklet.js", base));
    await this.context.audioWorklet.addModule(new URL("playback-worklet.js", base));

    const microphone = this.context.createMediaStreamSource(this.stream);
    this.capture = new AudioWorkletNode(this.context, "parley-capture", {
      numberOfInputs: 1,
      numberOfOutputs: 0,
      channelCount: 1,
      channelCountMode: "explicit",
      processorOptions: { targetRate: sessionRate, frameMs },
    });
    this.capture.port.onmessage = (event) => this.onFrame(event.data);
    microphone.connect(this.capture);

    this.playback = new AudioWorkletNode(this.context, "parley-playback", {
      numberOfInputs: 0,
      outputChannelCount: [1],
      processorOptions: { sourceRate: sessionRate, prerollMs, maxBufferMs },
    });
    this.playback.port.onmessage = (event) => this.onPlayback(event.data);
    this.playback.connect(this.context.destination);
    await this.context.resume();
    return { contextRate: this.context.sampleRate };
  }

  play(pcm) {
    this.playback?.port.postMessage({ type: "audio", pcm }, [pcm]);
  }

  clear() {
    this.playback?.port.postMessage({ type: "clear" });
  }

  async stop() {
    this.capture?.port.postMessage({ type: "stop" });
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    await this.context?.close();
    this.context = null;
  }
}
