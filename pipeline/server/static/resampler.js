// A streaming windowed-sinc resampler for mono Float32 audio (any rate to any rate), small enough to run
// inside an AudioWorklet. The filter's cutoff sits just below the lower Nyquist frequency, so going down
// (48 kHz -> 16 kHz) low-passes before decimating and going up does not leave images.

const HALF_TAPS = 16; // taps each side of the interpolation point
const PHASES = 128; // fractional positions tabulated between two input samples

function blackman(x) {
  // x in [-1, 1]
  return 0.42 + 0.5 * Math.cos(Math.PI * x) + 0.08 * Math.cos(2 * Math.PI * x);
}

function buildTable(cutoff) {
  // table[p * 2H + k]: the weight of input sample (n - H + 1 + k) at fractional position p / PHASES past n
  const width = 2 * HALF_TAPS;
  const table = new Float32Array((PHASES + 1) * width);
  for (let p = 0; p <= PHASES; p++) {
    const frac = p / PHASES;
    let sum = 0;
    for (let k = 0; k < width; k++) {
      const t = k - HALF_TAPS + 1 - frac; // distance from the interpolation point, in input samples
      const x = t * cutoff;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const w = sinc * blackman(t / (HALF_TAPS + 1));
      table[p * width + k] = w;
      sum += w;
    }
    for (let k = 0; k < width; k++) table[p * width + k] /= sum; // unity gain at DC
  }
  return table;
}

export class Resampler {
  constructor(inputRate, outputRate) {
    if (!(inputRate > 0 && outputRate > 0)) throw new Error(`bad sample rates ${inputRate} -> ${outputRate}`);
    this.inputRate = inputRate;
    this.outputRate = outputRate;
    this.step = inputRate / outputRate; // input samples per output sample
    this.passthrough = inputRate === outputRate;
    this.table = this.passthrough ? null : buildTable(Math.min(1, outputRate / inputRate) * 0.95);
    this.reset();
  }

  // Resample the next block of input; returns the output samples it completes.
  process(input) {
    if (this.passthrough) return Float32Array.from(input);
    const buffer = new Float32Array(this.history.length + input.length);
    buffer.set(this.history);
    buffer.set(input, this.history.length);
    const width = 2 * HALF_TAPS;
    const last = buffer.length - HALF_TAPS - 1; // the newest position whose filter reach is in the buffer
    const count = Math.max(0, Math.floor((last - this.position) / this.step) + 1);
    const output = new Float32Array(count);
    let position = this.position;
    for (let i = 0; i < count; i++) {
      const base = Math.floor(position);
      const phase = Math.round((position - base) * PHASES);
      const row = phase * width;
      const start = base - HALF_TAPS + 1;
      let acc = 0;
      for (let k = 0; k < width; k++) acc += buffer[start + k] * this.table[row + k];
      output[i] = acc;
      position += this.step;
    }
    // keep what the next outputs still need: from the first tap of the next position on
    const keepFrom = Math.max(0, Math.floor(position) - HALF_TAPS + 1);
    this.history = buffer.slice(keepFrom);
    this.position = position - keepFrom;
    return output;
  }

  // Forget the past (after a flush): the next input starts from silence.
  reset() {
    this.history = new Float32Array(HALF_TAPS - 1); // input kept for the filter's reach into the past
    this.position = HALF_TAPS - 1; // the next output's position in `history`
  }
}
