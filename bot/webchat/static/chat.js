// Web chat page: talks to the local stand-in for the Telegram Bot API (see bot/webchat/).
"use strict";

const config = JSON.parse(document.getElementById("config").textContent);
const t = JSON.parse(document.getElementById("i18n").textContent);

const POLL_TIMEOUT = 25; // seconds the server may hold one long poll
const MAX_BACKOFF_MS = 5000;
const SECRET_KEY = "webchat:secret";
const IDENTITY_PREFIX = "webchat:identity:";
const CURRENT_KEY = "webchat:current";

// One browser, one person: a link without `profile` (a class invitation, the classroom
// screen's QR code) goes on as the person this browser used last; the menu lists the people
// this browser holds, to switch between them or start a new one.
const profile = config.profile || localStorage.getItem(CURRENT_KEY) || "default";
localStorage.setItem(CURRENT_KEY, profile);
const IDENTITY_KEY = `${IDENTITY_PREFIX}${profile}`;

function profileName(name) {
  if (name === "default") return t.guest_name;
  return t.profile_names[name] || name;
}

function browserPeople() {
  const people = new Set([profile]);
  for (let index = 0; index < localStorage.length; index++) {
    const key = localStorage.key(index);
    if (key && key.startsWith(IDENTITY_PREFIX)) people.add(key.slice(IDENTITY_PREFIX.length));
  }
  return [...people].sort();
}

const $ = (id) => document.getElementById(id);
const messagesEl = $("messages");
const composerForm = $("composer");
const composerInput = $("composer-input");
const sendButton = $("send-button");
const fileInput = $("file-input");
const replyKeyboardEl = $("reply-keyboard");
const keyboardToggle = $("keyboard-toggle");
const menuButton = $("menu-button");
const commandMenu = $("command-menu");
const dialog = $("dialog");
document.querySelector(".header-subtitle").textContent = format(t.profile_label, { profile: profileName(profile) });

const state = {
  identity: null, // {userId, started: [start payloads already sent]} (+ token: from before cookies)
  lastSeq: 0,
  historyLoaded: false,
  startInFlight: false,
  replyKeyboard: null, // {messageId, markup} of the latest bot message carrying a reply keyboard
  replyKeyboardHidden: false,
  pressed: new Map(), // message_id -> callback data of the inline button pressed last
  pendingPress: new Set(), // message_ids whose button press awaits the bot's answer
  commands: [],
  stickToBottom: true,
};

class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code || null;
  }
}

// ---------------------------------------------------------------- helpers

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (match, key) => (key in values ? values[key] : match));
}

function formatSize(bytes) {
  if (bytes == null) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function formatTime(unixSeconds) {
  return new Date(unixSeconds * 1000).toLocaleTimeString(config.locale, {
    hour: "2-digit",
    minute: "2-digit",
  });
}

function errorText(err) {
  if (!(err instanceof ApiError)) return t.network_error;
  return (err.code && t[`error_${err.code}`]) || err.message;
}

function backoff(attempt) {
  const ms = Math.min(1000 * 2 ** attempt, MAX_BACKOFF_MS) * (0.75 + Math.random() / 2);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      window.removeEventListener("online", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    window.addEventListener("online", done);
  });
}

async function api(path, { method = "GET", json, form, headers = {}, auth = true, timeoutMs = 30000 } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const init = { method, headers: { ...headers }, signal: controller.signal };
  // The token is an HttpOnly cookie of this profile (the page never sees it); an identity
  // kept from before that still carries its token in localStorage goes on using it.
  if (auth && state.identity.token) init.headers.Authorization = `Bearer ${state.identity.token}`;
  else if (auth) init.headers["X-Webchat-Profile"] = encodeURIComponent(profile);
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (form) {
    init.body = form;
  }
  try {
    const response = await fetch(path, init);
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      throw new ApiError(response.status, (data && data.error) || `HTTP ${response.status}`, data && data.code);
    }
    return data;
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------- toast, banner, dialog

let toastTimer = 0;

function showToast(text) {
  const toast = $("toast");
  toast.textContent = text;
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    toast.hidden = true;
  }, Math.min(2500 + text.length * 60, 8000));
}

function hideToast() {
  clearTimeout(toastTimer);
  $("toast").hidden = true;
}

function setOffline(offline) {
  $("offline-banner").hidden = !offline;
}

let dialogQueue = Promise.resolve();

// Shows the in-page dialog (one at a time) and resolves to {fieldName: value} or null when dismissed.
function askDialog(options) {
  const result = dialogQueue.then(() => openDialog(options));
  dialogQueue = result.catch(() => null);
  return result;
}

function openDialog({ title, message = "", fields = [], error = "", okLabel = t.ok, cancelLabel = t.cancel, dismissible = true }) {
  $("dialog-title").textContent = title;
  $("dialog-message").textContent = message;
  $("dialog-message").hidden = !message;
  $("dialog-error").textContent = error;
  $("dialog-error").hidden = !error;
  $("dialog-ok").textContent = okLabel;
  $("dialog-cancel").textContent = cancelLabel || "";
  $("dialog-cancel").hidden = !cancelLabel;
  const inputs = fields.map(({ label, ...attrs }) => el("input", { id: `dialog-field-${attrs.name}`, ...attrs }));
  $("dialog-fields").replaceChildren(
    ...fields.map((field, i) => el("label", { className: "field" }, [el("span", { textContent: field.label }), inputs[i]])),
  );
  dialog.returnValue = "";
  dialog.showModal();
  (inputs[0] || $("dialog-ok")).focus();
  return new Promise((resolve) => {
    const onCancel = (event) => {
      if (!dismissible) event.preventDefault();
    };
    dialog.addEventListener("cancel", onCancel);
    dialog.addEventListener(
      "close",
      () => {
        dialog.removeEventListener("cancel", onCancel);
        const ok = dialog.returnValue === "ok";
        resolve(ok ? Object.fromEntries(inputs.map((input) => [input.name, input.value.trim()])) : null);
      },
      { once: true },
    );
  });
}

function showAlert(text) {
  return askDialog({ title: t.alert_title, message: text, cancelLabel: null });
}

// ---------------------------------------------------------------- identity

function loadIdentity() {
  try {
    const data = JSON.parse(localStorage.getItem(IDENTITY_KEY));
    return data && data.userId ? { started: [], ...data } : null;
  } catch {
    return null;
  }
}

function saveIdentity() {
  localStorage.setItem(IDENTITY_KEY, JSON.stringify(state.identity));
}

async function askSecret(error) {
  const stored = localStorage.getItem(SECRET_KEY);
  if (stored && !error) return stored;
  for (;;) {
    const values = await askDialog({
      title: t.secret_title,
      message: t.secret_message,
      error,
      cancelLabel: null,
      dismissible: false,
      fields: [{ name: "secret", label: t.secret_label, type: "password", required: true, autocomplete: "off" }],
    });
    if (values) {
      localStorage.setItem(SECRET_KEY, values.secret);
      return values.secret;
    }
  }
}

async function createUser() {
  const firstName = profile === "default" ? t.guest_name : format(t.guest_with_role, { role: profileName(profile) });
  let secretError = "";
  for (let attempt = 0; ; attempt++) {
    const headers = {};
    if (config.needsSecret) headers["X-Webchat-Secret"] = await askSecret(secretError);
    try {
      const data = await api("/api/chat/users", {
        method: "POST",
        auth: false,
        headers,
        json: { first_name: firstName, language_code: config.locale, profile },
      });
      setOffline(false);
      return { userId: data.user_id, started: [] }; // the token came as an HttpOnly cookie
    } catch (err) {
      if (config.needsSecret && err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        localStorage.removeItem(SECRET_KEY);
        secretError = t.secret_wrong;
        continue;
      }
      if (err instanceof ApiError) showToast(err.message);
      else setOffline(true);
      await backoff(attempt);
    }
  }
}

// ---------------------------------------------------------------- rendering messages

function isOwn(message) {
  return Boolean(message.from) && !message.from.is_bot;
}

function findMessage(messageId) {
  return messagesEl.querySelector(`.msg[data-message-id="${messageId}"]`);
}

function renderPhoto(file, message) {
  const sizes = message.photo || [];
  const largest = sizes[sizes.length - 1];
  const img = el("img", { src: file.url, alt: t.photo, loading: "lazy", decoding: "async" });
  if (largest && largest.width && largest.height) {
    img.width = largest.width;
    img.height = largest.height;
  }
  img.addEventListener("load", () => {
    if (state.stickToBottom) scrollToBottom();
  });
  return el("a", { className: "photo", href: file.url, target: "_blank" }, [img]);
}

function renderFile(file) {
  const body = [
    el("span", { className: "file-icon", "aria-hidden": "true" }),
    el("span", { className: "file-info" }, [
      el("span", { className: "file-name", textContent: file.name || file.kind }),
      el("span", { className: "file-size", textContent: formatSize(file.size) }),
    ]),
  ];
  if (!file.url) return el("span", { className: "file" }, body);
  return el("a", { className: "file", href: file.url, download: file.name || "", target: "_blank" }, body);
}

function renderCard(kind, label, lines) {
  return el("div", { className: `card ${kind}` }, [
    el("span", { className: "card-label", textContent: label }),
    ...lines.filter(Boolean).map((line) => el("span", { className: "card-line", textContent: line })),
  ]);
}

function renderText(message) {
  const text = el("div", { className: "text" });
  if (message.html) {
    text.innerHTML = message.html; // sanitised by the server
    for (const link of text.querySelectorAll("a")) {
      link.target = "_blank";
      link.rel = "noopener noreferrer";
    }
  } else {
    text.textContent = message.text || message.caption;
  }
  return text;
}

function renderInlineKeyboard(rows) {
  return el(
    "div",
    { className: "inline-keyboard" },
    rows.map((row) =>
      el(
        "div",
        { className: "kb-row" },
        row.map((button) => {
          if (button.url) {
            return el("a", {
              className: "inline-btn url",
              href: button.url,
              target: "_blank",
              rel: "noopener noreferrer",
              textContent: button.text,
            });
          }
          const hasData = typeof button.callback_data === "string";
          const node = el("button", { type: "button", className: "inline-btn", textContent: button.text, disabled: !hasData });
          if (hasData) node.dataset.callback = button.callback_data;
          return node;
        }),
      ),
    ),
  );
}

function renderMessage(message) {
  const bubble = el("div", { className: "bubble" });
  const files = message.files || [];
  const photo = files.filter((file) => file.kind === "photo").pop();
  if (photo) bubble.append(renderPhoto(photo, message));
  for (const file of files.filter((f) => f.kind !== "photo")) bubble.append(renderFile(file));
  if (message.contact) {
    const { first_name: first, last_name: last, phone_number: phone } = message.contact;
    bubble.append(renderCard("contact", t.contact, [[first, last].filter(Boolean).join(" "), phone]));
  }
  if (message.location) {
    const { latitude, longitude } = message.location;
    bubble.append(renderCard("location", t.location, [`${latitude.toFixed(5)}, ${longitude.toFixed(5)}`]));
  }
  if (message.html || message.text || message.caption) bubble.append(renderText(message));
  if (bubble.childElementCount === 0) bubble.append(el("div", { className: "text unsupported", textContent: t.unsupported }));
  const meta = [formatTime(message.date)];
  if (message.edit_date) meta.unshift(t.edited);
  bubble.append(el("div", { className: "meta", textContent: meta.join(" ") }));

  const node = el("div", { className: `msg ${isOwn(message) ? "user" : "bot"}` }, [bubble]);
  if (message.message_id != null) node.dataset.messageId = message.message_id;
  const keyboard = message.reply_markup && message.reply_markup.inline_keyboard;
  if (keyboard && keyboard.length) {
    node.classList.add("has-keyboard");
    node.append(renderInlineKeyboard(keyboard));
    syncInlineState(node);
  }
  return node;
}

function syncInlineState(node) {
  const id = Number(node.dataset.messageId);
  const pending = state.pendingPress.has(id);
  const pressed = state.pressed.get(id);
  for (const button of node.querySelectorAll("button.inline-btn[data-callback]")) {
    const isPressed = button.dataset.callback === pressed;
    button.classList.toggle("pressed", isPressed);
    button.classList.toggle("pending", pending && isPressed);
    button.disabled = pending;
  }
}

function showMessage(message) {
  const node = renderMessage(message);
  const existing = findMessage(message.message_id);
  if (existing) existing.replaceWith(node);
  else messagesEl.append(node);
}

function isNearBottom() {
  return messagesEl.scrollHeight - messagesEl.scrollTop - messagesEl.clientHeight < 80;
}

function scrollToBottom() {
  messagesEl.scrollTop = messagesEl.scrollHeight;
  state.stickToBottom = true;
}

function updateStartHint() {
  const empty = !messagesEl.querySelector(".msg");
  $("start-hint").hidden = !(state.historyLoaded && empty && !state.startInFlight);
}

// ---------------------------------------------------------------- reply keyboard

function trackReplyKeyboard(message) {
  const markup = message.reply_markup;
  if (isOwn(message)) {
    if (state.replyKeyboard && state.replyKeyboard.markup.one_time_keyboard) state.replyKeyboardHidden = true;
  } else if (markup && markup.keyboard) {
    state.replyKeyboard = { messageId: message.message_id, markup };
    state.replyKeyboardHidden = false;
  } else if (markup && markup.remove_keyboard) {
    state.replyKeyboard = null;
  }
}

function renderReplyKeyboard() {
  const keyboard = state.replyKeyboard;
  if (!keyboard) {
    replyKeyboardEl.replaceChildren();
    delete replyKeyboardEl.dataset.messageId;
  } else if (replyKeyboardEl.dataset.messageId !== String(keyboard.messageId)) {
    replyKeyboardEl.dataset.messageId = keyboard.messageId;
    replyKeyboardEl.classList.toggle("tall", !keyboard.markup.resize_keyboard);
    replyKeyboardEl.replaceChildren(
      ...keyboard.markup.keyboard.map((row) =>
        el(
          "div",
          { className: "kb-row" },
          row.map((button) => {
            const spec = typeof button === "string" ? { text: button } : button;
            const node = el("button", { type: "button", className: "reply-btn", textContent: spec.text });
            node.addEventListener("click", () => pressReplyButton(spec));
            return node;
          }),
        ),
      ),
    );
  }
  const visible = Boolean(keyboard) && !state.replyKeyboardHidden;
  replyKeyboardEl.hidden = !visible;
  keyboardToggle.hidden = !keyboard;
  keyboardToggle.setAttribute("aria-pressed", String(visible));
  composerInput.placeholder = (visible && keyboard.markup.input_field_placeholder) || t.composer_placeholder;
}

async function pressReplyButton(button) {
  if (state.replyKeyboard && state.replyKeyboard.markup.one_time_keyboard) {
    state.replyKeyboardHidden = true;
    renderReplyKeyboard();
  }
  if (button.request_contact) await shareContact();
  else if (button.request_location) await shareLocation();
  else await sendText(button.text);
}

async function shareContact() {
  const values = await askDialog({
    title: t.contact_title,
    message: t.contact_message,
    okLabel: t.send,
    fields: [
      {
        name: "phone",
        label: t.phone_label,
        type: "tel",
        inputMode: "tel",
        autocomplete: "tel",
        required: true,
        pattern: "[+]?[0-9][0-9 \\-]{4,19}",
      },
    ],
  });
  if (!values) return;
  const contact = { phone_number: values.phone.replace(/[\s-]/g, "") };
  await sendMessage({ contact }, { contact });
}

function currentPosition() {
  if (!window.isSecureContext || !navigator.geolocation) return Promise.resolve(null);
  showToast(t.locating);
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (position) => resolve({ latitude: position.coords.latitude, longitude: position.coords.longitude }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  });
}

async function shareLocation() {
  let location = await currentPosition();
  hideToast();
  if (!location) {
    const number = { type: "number", step: "any", inputMode: "decimal", required: true };
    const values = await askDialog({
      title: t.location_title,
      message: t.location_message,
      okLabel: t.send,
      fields: [
        { ...number, name: "latitude", label: t.latitude, min: "-90", max: "90" },
        { ...number, name: "longitude", label: t.longitude, min: "-180", max: "180" },
      ],
    });
    if (!values) return;
    location = { latitude: Number(values.latitude), longitude: Number(values.longitude) };
  }
  await sendMessage({ location }, { location });
}

// ---------------------------------------------------------------- sending

// Shows `preview` as a pending bubble until the server's own copy of the message arrives as an event.
async function sendMessage(body, preview) {
  const bubble = renderMessage({ ...preview, from: { is_bot: false }, date: Date.now() / 1000 });
  bubble.classList.add("pending");
  messagesEl.append(bubble);
  updateStartHint();
  scrollToBottom();
  const request = body instanceof FormData
    ? { method: "POST", form: body, timeoutMs: 120000 }
    : { method: "POST", json: body };
  try {
    const { message_id: messageId } = await api("/api/chat/send", request);
    if (findMessage(messageId)) bubble.remove();
    else bubble.dataset.messageId = messageId;
    return true;
  } catch (err) {
    bubble.remove();
    updateStartHint();
    showToast(format(t.send_failed, { error: errorText(err) }));
    return false;
  }
}

async function sendText(text) {
  return sendMessage({ text }, { text });
}

async function sendFile(file) {
  const values = await askDialog({
    title: t.file_title,
    message: `${file.name} · ${formatSize(file.size)}`,
    okLabel: t.send,
    fields: [{ name: "caption", label: t.caption_label, type: "text", value: composerInput.value.trim() }],
  });
  if (!values) return;
  composerInput.value = "";
  autosize();
  const isPhoto = /^image\/(jpeg|png|webp)$/.test(file.type);
  const form = new FormData();
  form.append(isPhoto ? "photo" : "document", file, file.name);
  if (values.caption) form.append("caption", values.caption);
  await sendMessage(form, {
    text: values.caption,
    files: [{ kind: "document", name: file.name, size: file.size }],
  });
}

function pendingStartPayload() {
  return config.start && !state.identity.started.includes(config.start) ? config.start : null;
}

async function sendStart() {
  if (state.startInFlight) return;
  const payload = pendingStartPayload();
  state.startInFlight = true;
  updateStartHint();
  const sent = await sendText(payload ? `/start ${payload}` : "/start");
  state.startInFlight = false;
  if (sent && payload) {
    state.identity.started.push(payload);
    saveIdentity();
  }
  updateStartHint();
}

async function pressInlineButton(button) {
  const node = button.closest(".msg");
  if (!node.dataset.messageId) return;
  const id = Number(node.dataset.messageId);
  if (state.pendingPress.has(id)) return;
  state.pressed.set(id, button.dataset.callback);
  state.pendingPress.add(id);
  syncInlineState(node);
  try {
    const answer = await api("/api/chat/press", {
      method: "POST",
      json: { message_id: id, data: button.dataset.callback },
      timeoutMs: 20000,
    });
    if (!answer.answered) showToast(t.no_answer);
    else if (answer.text && answer.show_alert) showAlert(answer.text);
    else if (answer.text) showToast(answer.text);
  } catch (err) {
    state.pressed.delete(id);
    showToast(errorText(err));
  } finally {
    state.pendingPress.delete(id);
    const current = findMessage(id);
    if (current) syncInlineState(current);
  }
}

// ---------------------------------------------------------------- commands menu

function renderCommands() {
  const items = state.commands.map(({ command, description }) => {
    const button = el("button", { type: "button", className: "command" }, [
      el("span", { className: "command-name", textContent: `/${command}` }),
      el("span", { className: "command-description", textContent: description }),
    ]);
    button.addEventListener("click", () => {
      setMenuOpen(false);
      sendText(`/${command}`);
    });
    return el("li", {}, [button]);
  });
  if (!items.length) items.push(el("li", { className: "empty", textContent: t.no_commands }));
  $("command-list").replaceChildren(...items, ...peopleItems());
}

function peopleItems() {
  const link = (name, text, current) =>
    el("li", {}, [
      el("a", { className: "command person", href: `/chat?profile=${encodeURIComponent(name)}` }, [
        el("span", { className: "command-name", textContent: current ? `✓ ${text}` : text }),
      ]),
    ]);
  const fresh = `p${Date.now().toString(36)}`;
  return [
    el("li", { className: "menu-heading", textContent: t.people_heading }),
    ...browserPeople().map((name) => link(name, profileName(name), name === profile)),
    link(fresh, t.new_person, false),
  ];
}

async function refreshCommands() {
  try {
    const data = await api("/api/chat/commands");
    state.commands = data.commands;
  } catch (err) {
    if (!commandMenu.hidden) showToast(errorText(err));
  }
  renderCommands();
}

function setMenuOpen(open) {
  commandMenu.hidden = !open;
  menuButton.setAttribute("aria-expanded", String(open));
  if (open) refreshCommands();
}

// ---------------------------------------------------------------- events

function applyEvents(events) {
  let ownAdded = false;
  for (const event of events) {
    if (event.seq <= state.lastSeq) continue;
    state.lastSeq = event.seq;
    if (event.type === "delete") {
      const node = findMessage(event.message.message_id);
      if (node) node.remove();
      continue;
    }
    const id = event.message.message_id;
    // The bot's edit is its answer to a press (a ✓ toggled, a calendar turned): the marks on
    // its keyboard are the bot's now, so a settled press no longer shows as pressed.
    if (event.type === "edit" && !state.pendingPress.has(id)) state.pressed.delete(id);
    showMessage(event.message);
    if (event.type === "message") {
      trackReplyKeyboard(event.message);
      if (isOwn(event.message)) ownAdded = true;
    }
  }
  renderReplyKeyboard();
  updateStartHint();
  if (state.stickToBottom || ownAdded) scrollToBottom();
}

function onHistoryLoaded() {
  state.historyLoaded = true;
  scrollToBottom();
  if (pendingStartPayload()) sendStart();
  else updateStartHint();
}

// Long-polls until the server no longer accepts our token.
async function pollEvents() {
  let failures = 0;
  for (;;) {
    // Answer at once while loading history or right after a failure, so the page knows it is
    // back online without waiting out a long poll.
    const timeout = state.historyLoaded && failures === 0 ? POLL_TIMEOUT : 0;
    try {
      const data = await api(`/api/chat/events?after=${state.lastSeq}&timeout=${timeout}`, {
        timeoutMs: (timeout + 10) * 1000,
      });
      failures = 0;
      setOffline(false);
      applyEvents(data.events);
      if (!state.historyLoaded) onHistoryLoaded();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      setOffline(true);
      await backoff(failures++);
    }
  }
}

function resetConversation() {
  localStorage.removeItem(IDENTITY_KEY);
  for (const node of messagesEl.querySelectorAll(".msg")) node.remove();
  Object.assign(state, { identity: null, lastSeq: 0, historyLoaded: false, replyKeyboard: null });
  state.pressed.clear();
  state.pendingPress.clear();
  renderReplyKeyboard();
  updateStartHint();
}

async function run() {
  for (;;) {
    state.identity = loadIdentity();
    if (!state.identity) {
      state.identity = await createUser();
      saveIdentity();
    }
    refreshCommands();
    await pollEvents();
    resetConversation();
  }
}

// ---------------------------------------------------------------- wiring

function autosize() {
  composerInput.style.height = "auto";
  composerInput.style.height = `${Math.min(composerInput.scrollHeight, 120)}px`;
}

composerForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = composerInput.value.trim();
  if (!text || !state.identity) return;
  composerInput.value = "";
  autosize();
  sendText(text).then((sent) => {
    if (!sent && !composerInput.value) {
      composerInput.value = text;
      autosize();
    }
  });
});

composerInput.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
  event.preventDefault();
  sendButton.click();
});
composerInput.addEventListener("input", autosize);
// Keeps the focus (and the phone's keyboard) in the text field when the send button is tapped.
sendButton.addEventListener("mousedown", (event) => event.preventDefault());

$("attach-button").addEventListener("click", () => fileInput.click());
fileInput.addEventListener("change", () => {
  const file = fileInput.files[0];
  fileInput.value = "";
  if (file && state.identity) sendFile(file);
});

keyboardToggle.addEventListener("click", () => {
  state.replyKeyboardHidden = !state.replyKeyboardHidden;
  renderReplyKeyboard();
});

$("start-button").addEventListener("click", sendStart);

messagesEl.addEventListener("click", (event) => {
  const button = event.target.closest("button.inline-btn[data-callback]");
  if (button) {
    pressInlineButton(button);
    return;
  }
  const spoiler = event.target.closest(".tg-spoiler");
  if (spoiler) spoiler.classList.add("revealed");
});
messagesEl.addEventListener("scroll", () => {
  state.stickToBottom = isNearBottom();
});
new ResizeObserver(() => {
  if (state.stickToBottom) scrollToBottom();
}).observe(messagesEl);

menuButton.addEventListener("click", () => setMenuOpen(commandMenu.hidden));
document.addEventListener("click", (event) => {
  if (!commandMenu.hidden && !commandMenu.contains(event.target) && !menuButton.contains(event.target)) {
    setMenuOpen(false);
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !commandMenu.hidden) setMenuOpen(false);
});

$("dialog-cancel").addEventListener("click", () => dialog.close("cancel"));

run();
