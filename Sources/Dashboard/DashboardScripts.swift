/// The dashboard's one hand-written ES module, served at `/static/live.js`: no third-party code,
/// no build step.
///
/// It opens the page's Server-Sent Events route (`data-live-url`, which carries the position the
/// page was rendered at; the browser's `EventSource` resumes with `Last-Event-ID` after a dropped
/// connection, so nothing is missed or repeated), shows live/reconnecting, refreshes the inbox's
/// list and counts on every change, and on a conversation page streams the assistant's answer
/// into its bubble as text (never HTML) with `aria-busy` until it is complete.
enum DashboardScripts {
    static let live = #"""
        const root = document.querySelector("[data-live-url]");
        const stateLabel = () => document.querySelector("[data-live-state]");

        function setState(text) {
          const label = stateLabel();
          if (label) label.textContent = text;
        }

        async function refresh(selectors) {
          const response = await fetch(location.href, { credentials: "same-origin", headers: { "accept": "text/html" } });
          if (!response.ok) return;
          const page = new DOMParser().parseFromString(await response.text(), "text/html");
          for (const selector of selectors) {
            const fresh = page.querySelector(selector);
            const current = document.querySelector(selector);
            if (fresh && current) current.replaceWith(document.importNode(fresh, true));
          }
        }

        function bubbleFor(id, roleLabel, roleClass) {
          let bubble = document.querySelector(`li[data-message-id="${CSS.escape(id)}"]`);
          if (!bubble) {
            bubble = document.createElement("li");
            bubble.className = `bubble ${roleClass}`;
            bubble.dataset.messageId = id;
            const role = document.createElement("span");
            role.className = "role";
            role.textContent = roleLabel;
            const text = document.createElement("p");
            text.className = "text";
            text.appendChild(document.createTextNode(""));
            bubble.append(role, text);
            document.getElementById("messages").appendChild(bubble);
          }
          return bubble;
        }

        const sequences = new Map();

        function onDelta(delta) {
          if (!root || root.dataset.page !== "conversation" || delta.conversationId !== root.dataset.conversation) return;
          const last = sequences.get(delta.messageId) ?? -1;
          if (delta.sequence <= last) return;
          sequences.set(delta.messageId, delta.sequence);
          const bubble = bubbleFor(delta.messageId, "Assistant", "assistant");
          bubble.setAttribute("aria-busy", delta.final ? "false" : "true");
          const text = bubble.querySelector(".text");
          if (delta.text) text.firstChild ? text.firstChild.appendData(delta.text) : text.appendChild(document.createTextNode(delta.text));
          if (delta.final && delta.error) {
            text.textContent = "";
            text.appendChild(document.createTextNode(`(no answer: ${delta.error})`));
          }
        }

        function onChange(change) {
          if (!root) return;
          if (root.dataset.page === "inbox") {
            refresh(["nav.tabs", "#inbox-list"]);
            return;
          }
          if (change.conversationId !== root.dataset.conversation) return;
          if (change.kind === "message_created" && change.messageId) {
            const role = change.author ? `${change.roleLabel ?? ""} · ${change.author}` : (change.roleLabel ?? "");
            const bubble = bubbleFor(change.messageId, role, change.roleClass ?? "");
            const text = bubble.querySelector(".text");
            text.textContent = change.text ?? "";
            bubble.setAttribute("aria-busy", "false");
          } else {
            refresh(["#conversation-state"]);
          }
        }

        if (root && "EventSource" in window) {
          const source = new EventSource(root.dataset.liveUrl, { withCredentials: true });
          source.addEventListener("open", () => setState("live"));
          source.addEventListener("error", () => setState(source.readyState === EventSource.CLOSED ? "disconnected (reload the page)" : "reconnecting"));
          source.addEventListener("delta", (event) => onDelta(JSON.parse(event.data)));
          source.addEventListener("change", (event) => onChange(JSON.parse(event.data)));
          source.addEventListener("end", () => { setState("disconnected (reload the page)"); source.close(); });
        } else {
          setState("off (reload to update)");
        }

        """#
}
