// Parley's WebSocket protocol, client side (see PROTOCOL.md): a JSON `start` message, then binary frames of
// caller audio up; binary frames of agent audio and JSON text frames (events, `clear`) down; JSON control
// messages (`say`, `interrupt`, `inject`, `update`, `end`) up.

export function socketUrl(pageLocation, token) {
  const url = new URL("ws", pageLocation);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.search = "";
  url.hash = "";
  if (token) url.searchParams.set("token", token);
  return url.toString();
}

export class ParleyConnection {
  // handlers: { onOpen(), onAudio(ArrayBuffer), onMessage(object), onClose({code, reason}) }
  constructor(url, start, handlers) {
    this.handlers = handlers;
    this.socket = new WebSocket(url);
    this.socket.binaryType = "arraybuffer";
    this.socket.onopen = () => {
      this.socket.send(JSON.stringify({ type: "start", ...start }));
      handlers.onOpen();
    };
    this.socket.onmessage = (event) => {
      if (typeof event.data === "string") handlers.onMessage(JSON.parse(event.data));
      else handlers.onAudio(event.data);
    };
    this.socket.onclose = (event) => handlers.onClose({ code: event.code, reason: event.reason });
  }

  get open() {
    return this.socket.readyState === WebSocket.OPEN;
  }

  sendAudio(pcm) {
    if (this.open) this.socket.send(pcm);
  }

  control(type, fields = {}) {
    if (this.open) this.socket.send(JSON.stringify({ type, ...fields }));
  }

  close() {
    if (this.open) this.control("end");
    // let the server close first; close ourselves if it does not within a second
    setTimeout(() => {
      if (this.socket.readyState !== WebSocket.CLOSED) this.socket.close(1000, "hang up");
    }, 1000);
  }
}
