/**
 * The page: controls, a live figure and a table, driven by live.js. URL parameters fill the controls
 * (`?subsets=10,25,50&epochs=3&lr=0.001&seed=0&batch=32&autostart=1`); `window.rankscopeState` exposes
 * the run's state (status, adapter, rows, error) for automated checks.
 */
import { initGpu } from "./rankscope.js";
import { liveFigure, parseDigits, runLive } from "./live.js";

const $ = (id) => document.getElementById(id);
const state = { status: "loading", adapter: null, rows: [], error: null };
globalThis.rankscopeState = state;

function say(text, kind = "info") {
  $("status").textContent = text;
  $("status").className = kind;
}

function unsupported(reason) {
  state.status = "unsupported";
  state.error = reason;
  $("start").disabled = true;
  say(
    `${reason} This page needs WebGPU: Chrome or Edge 113+ on Windows, macOS and ChromeOS, Chrome 121+ on ` +
      "Android; on Linux start Chrome with --enable-unsafe-webgpu (and --enable-features=Vulkan); Safari 26+; " +
      "Firefox 141+ on Windows (elsewhere behind dom.webgpu.enabled in about:config).",
    "error",
  );
}

function readOptions() {
  return {
    subsets: $("subsets").value.split(",").map((v) => Number(v.trim())),
    epochs: Number($("epochs").value),
    lr: Number($("lr").value),
    seed: Number($("seed").value),
    batch: Number($("batch").value),
  };
}

function renderTable(rows, subsets) {
  const head = `<tr><th>epoch</th>${subsets.map((n) => `<th>S (N = ${n})</th>`).join("")}<th>test accuracy</th></tr>`;
  const body = rows.map((r) =>
    `<tr><td>${r.epoch}</td>${r.entropies.map((s) => `<td>${s.toFixed(4)}</td>`).join("")}<td>${
      (100 * r.accuracy).toFixed(1)
    }%</td></tr>`
  ).join("");
  $("table").innerHTML = head + body;
}

let stopRequested = false;
let digits = null;

async function start() {
  let options;
  try {
    options = readOptions();
    stopRequested = false;
    $("start").disabled = true;
    $("stop").disabled = false;
    state.status = "running";
    state.rows = [];
    state.error = null;
    state.options = options;
    say(
      `Training on ${digits.train.count} digits; NTK of the first ${Math.max(...options.subsets)} after every epoch…`,
    );
    await runLive(digits, options, {
      shouldStop: () => stopRequested,
      onEpoch: (row, rows) => {
        state.rows = rows.map((r) => ({ ...r }));
        $("figure").innerHTML = liveFigure(rows, options.subsets);
        renderTable(rows, options.subsets);
        say(`Epoch ${row.epoch} of ${options.epochs}: test accuracy ${(100 * row.accuracy).toFixed(1)}%`);
      },
    });
    state.status = stopRequested ? "stopped" : "done";
    say(stopRequested ? "Stopped." : `Done: ${state.rows.length - 1} epochs.`);
  } catch (e) {
    state.status = "error";
    state.error = String(e?.message ?? e);
    say(state.error, "error");
  } finally {
    $("start").disabled = false;
    $("stop").disabled = true;
  }
}

async function main() {
  const params = new URLSearchParams(location.search);
  for (const id of ["subsets", "epochs", "lr", "seed", "batch"]) if (params.has(id)) $(id).value = params.get(id);
  $("start").addEventListener("click", start);
  $("stop").addEventListener("click", () => (stopRequested = true));
  if (!("gpu" in navigator)) return unsupported("This browser has no WebGPU (navigator.gpu is missing).");
  try {
    const rt = await initGpu();
    state.adapter = rt.adapterName;
    $("adapter").textContent = rt.adapterName;
  } catch (e) {
    return unsupported(`WebGPU is present but no adapter could be opened (${e?.message ?? e}).`);
  }
  const response = await fetch("./digits.bin");
  digits = parseDigits(await response.arrayBuffer());
  state.status = "ready";
  say(`Ready: ${digits.train.count} training and ${digits.test.count} test digits.`);
  $("start").disabled = false;
  if (params.get("autostart") === "1") await start();
}

main().catch((e) => {
  state.status = "error";
  state.error = String(e?.message ?? e);
  say(state.error, "error");
});
