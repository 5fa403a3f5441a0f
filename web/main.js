// Wires the page: key dialog, chat, and the dashboard's polling.
import { apiKey, onKeyNeeded, setApiKey } from "./api.js";
import { initChat, loadModels } from "./chat.js";
import { initDashboard, POLL_MS, refreshDashboard } from "./dashboard.js";

const $ = (id) => document.getElementById(id);
let needKey = false;

function askForKey(message) {
  needKey = true;
  $("key-button").hidden = false;
  $("key-dialog").hidden = false;
  $("key-error").textContent = apiKey() ? message : "";
  $("key-error").hidden = !apiKey();
  $("server-status").textContent = "needs an API key";
  $("key-input").focus();
}

async function start() {
  try {
    const feed = await refreshDashboard();
    await loadModels(feed.default_model);
    needKey = false;
    $("key-dialog").hidden = true;
  } catch (e) {
    if (!needKey) $("server-status").textContent = "cannot reach the server: " + e.message;
  }
}

onKeyNeeded(askForKey);
$("key-form").addEventListener("submit", (e) => {
  e.preventDefault();
  setApiKey($("key-input").value.trim());
  $("key-input").value = "";
  start();
});
$("key-forget").addEventListener("click", () => { setApiKey(""); askForKey(""); });
$("key-button").addEventListener("click", () => { $("key-dialog").hidden = false; $("key-input").focus(); });

initChat();
initDashboard();
start();
setInterval(() => {
  if (!needKey && document.visibilityState !== "hidden") refreshDashboard().catch(() => {});
}, POLL_MS);
