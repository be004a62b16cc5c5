// Agent audio playback: a jitter buffer. The page posts 16-bit PCM chunks at the session rate; they are
// resampled to the AudioContext's rate on arrival and queued. Playback starts once `prerollMs` is queued
// (or the first chunk has waited that long), a queue that runs dry goes back to waiting, and `clear`
// drops everything queued at once (the agent was interrupted: nothing more of that speech is heard).
// Chunks carry the speech they belong to; the worklet reports how much of each speech it has really played
// (`played` messages), which the page passes on to the server so "what the caller heard" follows the playback.
import { Resampler } from "./resampler.js";

const State = Object.freeze({ IDLE: "idle", BUFFERING: "buffering", PLAYING: "playing" });
const STATS_EVERY = 32; // render quanta between stats reports (~85 ms at 48 kHz)
const PLAYED_EVERY = 64; // render quanta between `played` reports (~170 ms: well inside the control rate limit)

class PlaybackProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const { sourceRate, prerollMs, maxBufferMs } = options.processorOptions;
    this.sourceRate = sourceRate;
    this.resampler = new Resampler(sourceRate, sampleRate);
    this.preroll = Math.round((sampleRate * prerollMs) / 1000);
    this.maxQueued = Math.round((sampleRate * maxBufferMs) / 1000);
    this.chunks = []; // queued { samples: Float32Array at the context rate, speechId }
    this.readOffset = 0; // samples of chunks[0] already played
    this.queued = 0; // samples queued, not yet played
    this.waited = 0; // samples of time waited in BUFFERING
    this.state = State.IDLE;
    this.stats = { receivedSamples: 0, playedSamples: 0, gaps: 0, clears: 0, droppedSamples: 0, overflowSamples: 0 };
    this.quanta = 0;
    this.playedBySpeech = new Map(); // speechId -> samples played (context rate)
    this.unreported = new Set(); // speeches played since the last `played` report
    this.port.onmessage = (event) => this.onMessage(event.data);
  }

  onMessage(message) {
    if (message.type === "audio") this.enqueue(new Int16Array(message.pcm), message.speechId ?? null);
    else if (message.type === "clear") this.clear();
  }

  enqueue(pcm, speechId) {
    const floats = new Float32Array(pcm.length);
    for (let i = 0; i < pcm.length; i++) floats[i] = pcm[i] / 0x8000;
    this.stats.receivedSamples += pcm.length; // at the session rate
    const resampled = this.resampler.process(floats);
    if (resampled.length === 0) return;
    this.chunks.push({ samples: resampled, speechId });
    this.queued += resampled.length;
    while (this.queued > this.maxQueued && this.chunks.length > 1) this.dropOldestChunk();
    if (this.state === State.IDLE) {
      this.state = State.BUFFERING;
      this.waited = 0;
    }
  }

  dropOldestChunk() {
    const dropped = this.chunks.shift().samples.length - this.readOffset;
    this.readOffset = 0;
    this.queued -= dropped;
    this.stats.overflowSamples += dropped;
  }

  // How far each speech played since the last report has got, in seconds from its start.
  reportPlayed() {
    for (const speechId of this.unreported) {
      this.port.postMessage({ type: "played", speechId, seconds: this.playedBySpeech.get(speechId) / sampleRate });
    }
    this.unreported.clear();
  }

  clear() {
    this.reportPlayed(); // exactly what was heard before the interruption
    const dropped = this.queued;
    this.chunks = [];
    this.readOffset = 0;
    this.queued = 0;
    this.state = State.IDLE;
    this.resampler.reset();
    this.stats.clears += 1;
    this.stats.droppedSamples += dropped;
    this.port.postMessage({ type: "cleared", droppedMs: (1000 * dropped) / sampleRate, stats: this.report() });
  }

  report() {
    return {
      ...this.stats,
      receivedMs: (1000 * this.stats.receivedSamples) / this.sourceRate,
      playedMs: (1000 * this.stats.playedSamples) / sampleRate,
      bufferedMs: (1000 * this.queued) / sampleRate,
      state: this.state,
      contextRate: sampleRate,
    };
  }

  process(_inputs, outputs) {
    const out = outputs[0][0];
    if (this.state === State.BUFFERING) {
      this.waited += out.length;
      if (this.queued >= this.preroll || this.waited >= this.preroll) {
        this.state = State.PLAYING;
        this.port.postMessage({ type: "playing", stats: this.report() });
      }
    }
    let written = 0;
    if (this.state === State.PLAYING) {
      while (written < out.length && this.chunks.length > 0) {
        const { samples, speechId } = this.chunks[0];
        const n = Math.min(out.length - written, samples.length - this.readOffset);
        out.set(samples.subarray(this.readOffset, this.readOffset + n), written);
        written += n;
        this.readOffset += n;
        if (speechId !== null) {
          this.playedBySpeech.set(speechId, (this.playedBySpeech.get(speechId) ?? 0) + n);
          this.unreported.add(speechId);
        }
        if (this.readOffset === samples.length) {
          this.chunks.shift();
          this.readOffset = 0;
        }
      }
      this.queued -= written;
      this.stats.playedSamples += written;
      if (this.queued === 0) {
        this.state = State.IDLE; // ran dry: the speech ended, or the network is late (a gap)
        this.stats.gaps += 1;
        this.reportPlayed();
        this.port.postMessage({ type: "drained", stats: this.report() });
      }
    }
    out.fill(0, written);
    for (let c = 1; c < outputs[0].length; c++) outputs[0][c].set(out);
    this.quanta += 1;
    if (this.quanta % STATS_EVERY === 0) this.port.postMessage({ type: "stats", stats: this.report() });
    if (this.quanta % PLAYED_EVERY === 0) this.reportPlayed();
    return true;
  }
}

registerProcessor("parley-playback", PlaybackProcessor);
