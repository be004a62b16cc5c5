// The playground page: a call from the browser to this server's `/ws`.
// For tests and measurements, `window.parley` exposes the call's state: `marks` (performance.now() times,
// ms since the page started loading), `audio` (the playback worklet's counters) and `events` (every event).
import { CallAudio, prepareAudioContext } from "./audio.js";
import { ParleyConnection, socketUrl } from "./connection.js";
import { CallView } from "./transcript.js";

const SESSION_RATE = 16000; // caller audio up and agent audio down: PCM16 at 16 kHz
// close codes of PROTOCOL.md worth explaining to a person
const CLOSE_REASONS = {
  4401: "missing or wrong token (put it in the token field, or ?token= in the page URL)",
  4503: "the server is busy (session limit) or draining; try again",
  4408: "idle timeout: the server received nothing",
};
const $ = (id) => document.getElementById(id);

const CallState = Object.freeze({ IDLE: "idle", CONNECTING: "connecting", IN_CALL: "in call", ENDING: "ending" });

const parley = {
  state: CallState.IDLE,
  marks: {}, // name -> performance.now() of its first occurrence
  audio: { receivedSamples: 0, receivedMs: 0, playedMs: 0, bufferedMs: 0, gaps: 0, clears: 0 },
  sentFrames: 0,
  played: {}, // speech_id -> seconds of it played, as reported to the server
  events: [],
  closed: null,
};
window.parley = parley;

function mark(name) {
  if (!(name in parley.marks)) parley.marks[name] = performance.now();
}

const view = new CallView({
  transcript: $("transcript"),
  agentState: $("agent-state"),
  userState: $("user-state"),
  metrics: $("metrics-body"),
});

let connection = null;
let audio = null;
let speaking = null; // the speech the agent audio now arriving belongs to (from agent_started_speaking)
let audioContext = prepareAudioContext(); // ready before the first click; a new one after each call

function setState(state) {
  parley.state = state;
  $("call-state").textContent = state;
  $("start").disabled = state !== CallState.IDLE;
  $("hangup").disabled = state === CallState.IDLE;
}

function showAudioStats() {
  const a = parley.audio;
  $("audio-stats").textContent =
    `sent ${((parley.sentFrames * 20) / 1000).toFixed(1)} s · received ${(a.receivedMs / 1000).toFixed(1)} s · ` +
    `played ${(a.playedMs / 1000).toFixed(1)} s · buffered ${a.bufferedMs.toFixed(0)} ms · ` +
    `gaps ${a.gaps} · clears ${a.clears}`;
}

function onPlayback(message) {
  if (message.type === "played") {
    // what the caller really heard of that speech: the server's heard text after an interruption follows it
    parley.played[message.speechId] = message.seconds;
    connection?.control("played", { speech_id: message.speechId, seconds: Number(message.seconds.toFixed(3)) });
    return;
  }
  Object.assign(parley.audio, message.stats);
  if (message.type === "playing") mark("firstAgentAudioPlayed");
  showAudioStats();
}

function onServerMessage(message) {
  if (message.type === "clear") {
    speaking = null; // audio after a clear belongs to a later speech
    audio?.clear(); // barge-in: drop every queued sample of agent audio now
    mark("firstClear");
    return;
  }
  parley.events.push(message);
  if (message.type === "ready") {
    mark("ready");
    view.note(`connected: session ${message.session_id}, ${message.sample_rate} Hz ${message.encoding ?? "pcm16"}`);
    return;
  }
  if (message.type === "session_started") mark("sessionStarted");
  if (message.type === "agent_started_speaking") speaking = message.speech_id;
  if (message.type === "agent_stopped_speaking" && speaking === message.speech_id) speaking = null;
  if (message.type === "user_transcript" && message.is_final) mark("firstUserFinal");
  if (message.type === "agent_transcript_delta") mark("firstAgentText");
  view.show(message);
}

async function startCall() {
  setState(CallState.CONNECTING);
  view.reset();
  parley.closed = null;
  speaking = null;
  mark("callStarted");
  const token = $("token").value.trim();
  audio = new CallAudio({
    context: audioContext,
    sessionRate: SESSION_RATE,
    voiceProcessing: $("voice-processing").checked,
    onFrame: (pcm) => {
      connection?.sendAudio(pcm);
      parley.sentFrames += 1;
    },
    onPlayback,
    onMark: mark,
  });
  connection = new ParleyConnection(
    socketUrl(window.location.href, token),
    { sample_rate: SESSION_RATE, encoding: "pcm16", metadata: { client: "playground", userAgent: navigator.userAgent } },
    {
      onOpen: () => {
        mark("socketOpen");
        setState(CallState.IN_CALL);
      },
      onAudio: (pcm) => {
        mark("firstAgentAudioReceived");
        audio?.play(pcm, speaking);
      },
      onMessage: onServerMessage,
      onClose: async ({ code, reason }) => {
        parley.closed = { code, reason };
        const why = CLOSE_REASONS[code] ?? reason;
        view.note(`disconnected (${code}${why ? `: ${why}` : ""})`, code === 1000 ? "system" : "system error");
        connection = null;
        await hangUp();
      },
    },
  );
  try {
    const { contextRate } = await audio.start();
    mark("microphoneOpen");
    view.note(`microphone open (${contextRate} Hz, sent at ${SESSION_RATE} Hz)`);
  } catch (error) {
    if (!audio) return; // hung up while the audio was starting
    view.note(`cannot start the audio (microphone, worklets): ${error.message}`, "system error");
    await hangUp();
  }
}

async function hangUp() {
  if (parley.state === CallState.ENDING) return;
  setState(CallState.ENDING);
  connection?.close();
  connection = null;
  const stopping = audio;
  audio = null;
  await stopping?.stop();
  if (stopping) audioContext = prepareAudioContext();
  setState(CallState.IDLE);
}

const query = new URLSearchParams(window.location.search);
$("token").value = query.get("token") ?? "";
$("voice-processing").checked = query.get("processing") !== "off";
$("start").addEventListener("click", startCall);
$("hangup").addEventListener("click", hangUp);
$("say-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("say-text").value.trim();
  if (text && connection) connection.control("say", { text });
  $("say-text").value = "";
});
$("interrupt").addEventListener("click", () => connection?.control("interrupt"));
setState(CallState.IDLE);
mark("pageReady");
