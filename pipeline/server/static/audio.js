// The page's audio: one AudioContext at the device's rate, a capture worklet that resamples the microphone to
// the session rate, and a playback worklet (a jitter buffer) that resamples agent audio to the device's rate.

// Made at page load, before any click: the context (suspended until a user gesture) with both worklets loaded, so
// that starting a call only has to resume it and open the microphone.
export async function prepareAudioContext() {
  const context = new AudioContext({ latencyHint: "interactive" });
  const base = new URL(".", import.meta.url);
  await Promise.all([
    context.audioWorklet.addModule(new URL("capture-worklet.js", base)),
    context.audioWorklet.addModule(new URL("playback-worklet.js", base)),
  ]);
  return context;
}

export class CallAudio {
  // onFrame(ArrayBuffer): a PCM16 frame of caller audio; onPlayback(message): the playback worklet's reports
  // voiceProcessing: the browser's echo cancellation, noise suppression and gain control (on for speakers;
  // off for a headset or a test recording, which it would otherwise alter)
  // context: a promise of prepareAudioContext(); the call owns it from now on (stop() closes it)
  constructor({ context, sessionRate, frameMs = 20, prerollMs = 60, maxBufferMs = 60000, voiceProcessing = true, onFrame, onPlayback, onMark = () => {} }) {
    this.contextReady = context;
    this.options = { sessionRate, frameMs, prerollMs, maxBufferMs, voiceProcessing };
    this.onFrame = onFrame;
    this.onPlayback = onPlayback;
    this.onMark = onMark; // onMark(name): a step of the start-up is done (for timing)
    this.context = null;
    this.stream = null;
    this.pending = []; // agent audio that arrived before the playback worklet was ready
    this.stopped = false;
  }

  checkRunning() {
    if (this.stopped) throw new Error("the call ended while the audio was starting");
  }

  async start() {
    const { sessionRate, frameMs, prerollMs, maxBufferMs, voiceProcessing } = this.options;
    this.checkRunning();
    this.context = await this.contextReady;
    await this.context.resume(); // in the click's user gesture: allowed to play
    this.onMark("audioRunning");
    this.checkRunning();
    // the microphone opens last, so that none of its first words fall before the worklet is listening
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: {
        channelCount: 1,
        echoCancellation: voiceProcessing,
        noiseSuppression: voiceProcessing,
        autoGainControl: voiceProcessing,
      },
    });
    this.onMark("microphoneGranted");
    this.checkRunning();
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
    for (const [pcm, speechId] of this.pending.splice(0)) this.play(pcm, speechId);
    return { contextRate: this.context.sampleRate };
  }

  // pcm: PCM16 at the session rate; speechId: the speech it belongs to (null when unknown)
  play(pcm, speechId = null) {
    if (this.playback) this.playback.port.postMessage({ type: "audio", pcm, speechId }, [pcm]);
    else if (!this.stopped) this.pending.push([pcm, speechId]);
  }

  clear() {
    this.pending = [];
    this.playback?.port.postMessage({ type: "clear" });
  }

  async stop() {
    this.stopped = true;
    this.pending = [];
    this.capture?.port.postMessage({ type: "stop" });
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    const context = this.context ?? (await this.contextReady.catch(() => null));
    this.context = null;
    if (context && context.state !== "closed") await context.close();
  }
}
