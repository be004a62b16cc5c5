// Microphone capture: resamples the microphone (the AudioContext's rate) to the session rate and posts
// 16-bit PCM frames of `frameMs` to the page, which sends them as binary WebSocket frames.
import { Resampler } from "./resampler.js";

class CaptureProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const { targetRate, frameMs } = options.processorOptions;
    this.resampler = new Resampler(sampleRate, targetRate);
    this.frame = new Int16Array(Math.round((targetRate * frameMs) / 1000));
    this.filled = 0;
    this.capturing = true;
    this.port.onmessage = (event) => {
      if (event.data.type === "stop") this.capturing = false;
    };
  }

  process(inputs) {
    const channels = inputs[0];
    if (!this.capturing) return false;
    if (!channels || channels.length === 0) return true; // no input connected yet
    const samples = this.resampler.process(channels[0]); // mono: the first channel
    for (let i = 0; i < samples.length; i++) {
      const s = Math.max(-1, Math.min(1, samples[i]));
      this.frame[this.filled++] = s < 0 ? s * 0x8000 : s * 0x7fff;
      if (this.filled === this.frame.length) {
        const pcm = this.frame.slice().buffer;
        this.port.postMessage(pcm, [pcm]);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor("parley-capture", CaptureProcessor);
