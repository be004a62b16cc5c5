// The live view of a call: the transcript (caller interim/final text, agent text as it is written, tool calls),
// the agent and caller states, and the per-turn latency breakdown.

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const BREAKDOWN = ["endpointing", "stt_wait", "llm_ttft", "tool_time", "llm_first_sentence", "tts_ttfb", "overhead"];

export class CallView {
  constructor({ transcript, agentState, userState, metrics }) {
    this.transcriptList = transcript;
    this.agentState = agentState;
    this.userState = userState;
    this.metricsBody = metrics;
    this.userLine = null; // the caller's line being spoken (interim text)
    this.agentLines = new Map(); // speech_id -> line
    this.toolLines = new Map(); // call_id -> line
  }

  reset() {
    this.transcriptList.replaceChildren();
    this.metricsBody.replaceChildren();
    this.userLine = null;
    this.agentLines.clear();
    this.toolLines.clear();
  }

  addLine(role, text, className = "") {
    const line = element("li", `line ${role} ${className}`.trim());
    line.append(element("span", "who", role === "user" ? "You" : role === "agent" ? "Agent" : ""));
    const body = element("span", "text", text);
    line.append(body);
    line.body = body;
    this.transcriptList.append(line);
    line.scrollIntoView({ block: "end" });
    return line;
  }

  note(text, className = "system") {
    return this.addLine("system", text, className);
  }

  // One server event (a Parley event's JSON).
  show(event) {
    switch (event.type) {
      case "user_transcript":
        return this.userTranscript(event);
      case "agent_transcript_delta":
        return this.agentDelta(event);
      case "agent_stopped_speaking":
        return this.agentStopped(event);
      case "tool_started":
        this.toolLines.set(event.call_id, this.addLine("tool", `⚙ ${event.name}(${event.arguments}) …`, "running"));
        return;
      case "tool_finished":
        return this.toolFinished(event);
      case "agent_state_changed":
        this.agentState.textContent = event.new;
        this.agentState.dataset.state = event.new;
        return;
      case "user_state_changed":
        this.userState.textContent = event.new;
        this.userState.dataset.state = event.new;
        return;
      case "interruption":
        this.note("✋ interrupted", "system interruption");
        return;
      case "turn_metrics":
        return this.turnMetrics(event);
      case "error":
        this.note(`error (${event.source} ${event.code}): ${event.message}`, "system error");
        return;
      case "session_ended":
        this.note(`call ended: ${event.reason}${event.error ? ` (${event.error})` : ""}`);
        return;
      default:
    }
  }

  userTranscript(event) {
    if (!event.text) return;
    if (!this.userLine) this.userLine = this.addLine("user", "", "interim");
    this.userLine.body.textContent = event.text;
    if (event.is_final) {
      this.userLine.classList.remove("interim");
      this.userLine = null;
    }
  }

  agentDelta(event) {
    let line = this.agentLines.get(event.speech_id);
    if (!line) {
      line = this.addLine("agent", "");
      this.agentLines.set(event.speech_id, line);
    }
    line.body.textContent += event.text;
  }

  agentStopped(event) {
    const line = this.agentLines.get(event.speech_id);
    if (!line) return;
    line.body.textContent = event.text || line.body.textContent;
    if (event.interrupted) {
      // show what the caller heard, and strike out the rest
      line.classList.add("interrupted");
      const heard = event.heard_text;
      const rest = (event.text || "").slice(heard.length);
      line.body.replaceChildren(element("span", "heard", heard), element("s", "unheard", rest));
    }
  }

  toolFinished(event) {
    const line = this.toolLines.get(event.call_id) ?? this.addLine("tool", "");
    line.classList.remove("running");
    line.classList.add(event.status);
    line.body.textContent = `⚙ ${event.name} → ${event.status} ${event.result} (${(event.duration * 1000).toFixed(0)} ms)`;
  }

  turnMetrics(event) {
    const row = element("tr");
    row.append(element("td", "", String(event.turn_id ?? "")));
    row.append(element("td", "total", `${(event.voice_to_voice * 1000).toFixed(0)}`));
    for (const part of BREAKDOWN) row.append(element("td", "", `${((event[part] ?? 0) * 1000).toFixed(0)}`));
    const bar = element("td", "bar");
    const total = Math.max(event.voice_to_voice, 1e-6);
    for (const part of BREAKDOWN) {
      const share = (100 * (event[part] ?? 0)) / total;
      if (share <= 0) continue;
      const piece = element("span", `piece ${part}`);
      piece.style.width = `${share}%`;
      piece.title = `${part}: ${((event[part] ?? 0) * 1000).toFixed(0)} ms`;
      bar.append(piece);
    }
    row.append(bar);
    this.metricsBody.append(row);
  }
}
