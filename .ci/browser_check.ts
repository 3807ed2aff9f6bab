/**
 * The browser check: builds the bundle, serves web/ on 127.0.0.1, opens the page in Debian's headless
 * Chromium with WebGPU enabled, drives it over the DevTools protocol (a WebSocket; no npm client), runs a
 * short training, and checks that no console error occurred, the page found an adapter, its entropies
 * equal the same computation in Deno (web/live.js on the same digits and seed) within 1e-3, and the
 * figure holds the plotted series. Saves out/browser.png (a screenshot) and out/browser.json.
 *
 * Run: `deno run -A .ci/browser_check.ts` (needs `chromium`; `.ci/run` installs it). Exit code 1 on failure.
 */
import assert from "node:assert";

const root = new URL("../", import.meta.url);
const web = new URL("web/", root);
const out = new URL("out/", root);
const OPTIONS = { subsets: [10, 25, 50], epochs: 1, lr: 0.001, seed: 0, batch: 32 };
const TIMEOUT_MS = 240_000;

function log(text: string) {
  console.error(`browser check: ${text}`);
}

/** Builds web/rankscope.js with `deno bundle` (the build:web task). */
async function build() {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--platform", "browser", "--format", "esm", "-o", "web/rankscope.js", "browser.ts"],
    cwd: root,
    stdout: "null",
    stderr: "piped",
  });
  const { code, stderr } = await cmd.output();
  if (code !== 0) throw new Error(`deno bundle failed: ${new TextDecoder().decode(stderr)}`);
  const bundle = await Deno.readTextFile(new URL("rankscope.js", web));
  // Nothing Deno-only may reach the browser: no Deno.* use, no node: or npm: import left unresolved.
  const code_ = bundle.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  assert.ok(!/\bDeno\./.test(code_), "the browser bundle references Deno.*");
  assert.ok(!/from\s+["'](node|npm):/.test(code_), "the browser bundle imports node: or npm: modules");
  log(`bundle built (${bundle.length} bytes, no Deno.* references)`);
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".bin": "application/octet-stream",
};

/** Serves web/ on an ephemeral port of 127.0.0.1. */
function serve(): { port: number; server: Deno.HttpServer } {
  let port = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: (a) => (port = a.port) }, async (req) => {
    const path = new URL(req.url).pathname.replace(/^\/+/, "") || "index.html";
    if (path.includes("..")) return new Response("no", { status: 400 });
    try {
      const body = await Deno.readFile(new URL(path, web));
      const ext = path.slice(path.lastIndexOf("."));
      return new Response(body, { headers: { "content-type": TYPES[ext] ?? "application/octet-stream" } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  return { port, server };
}

/** A minimal DevTools-protocol client over one page target's WebSocket. */
class Cdp {
  #ws: WebSocket;
  #next = 1;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  events: { method: string; params: Record<string, unknown> }[] = [];

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      if (msg.id && this.#pending.has(msg.id)) {
        const p = this.#pending.get(msg.id)!;
        this.#pending.delete(msg.id);
        if (msg.error) p.reject(new Error(JSON.stringify(msg.error)));
        else p.resolve(msg.result);
      } else if (msg.method) this.events.push(msg);
    };
  }

  static open(url: string): Promise<Cdp> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.onopen = () => resolve(new Cdp(ws));
      ws.onerror = () => reject(new Error(`cannot open ${url}`));
    });
  }

  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.#next++;
    this.#ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) =>
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
    );
  }

  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send<{ result: { value?: T }; exceptionDetails?: unknown }>("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    if (r.exceptionDetails) throw new Error(`page threw: ${JSON.stringify(r.exceptionDetails)}`);
    return r.result.value as T;
  }

  close() {
    this.#ws.close();
  }
}

/** One subgroup-kernel result from the page: the shape, the largest error against float64, and whether the subgroup kernel ran. */
type SubgroupResult = { what: string; error: number; tolerance: number; ran: boolean };

/**
 * Runs in the page (serialised with toString): the library's reductions, softmax, matmul and Gram with
 * the tuner's choice set to "subgroup", against a float64 reference computed in the page. Deno's adapters here have no
 * `subgroups` feature, so this is where the subgroup kernels are tested.
 */
async function subgroupKernelsInPage(): Promise<{ subgroups: boolean; results: SubgroupResult[] }> {
  // deno-lint-ignore no-explicit-any
  const rs: any = await import(new URL("rankscope.js", location.href).href);
  const rt = await rs.initGpu();
  if (!rt.subgroups) return { subgroups: false, results: [] };
  for (const [family, classes] of [["reduce", ["short", "medium", "long"]], ["softmax", ["short", "long"]]] as const) {
    for (const shapeClass of classes) rt.tuning.set({ family, shapeClass }, "subgroup");
  }
  const seen: string[] = [];
  const dispatch = rt.dispatch.bind(rt);
  rt.dispatch = (call: { wgsl: string }) => (seen.push(call.wgsl), dispatch(call));
  let state = 12345;
  const values = (n: number) =>
    Float32Array.from({ length: n }, () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.3);
  const results: SubgroupResult[] = [];
  const shapes = [[37, 3, 5], [5, 64, 3], [3, 65, 1], [2, 1024, 7], [1, 70000, 2]];
  for (const [outer, axis, inner] of shapes) {
    const x = values(outer * axis * inner);
    const at = (o: number, a: number, i: number) => x[(o * axis + a) * inner + i];
    const tx = rs.Tensor.fromArray(x, [outer, axis, inner]);
    for (const op of ["sum", "mean", "max", "min", "softmax", "logSoftmax"]) {
      if (op.includes("oftmax") && axis > 4096) continue;
      seen.length = 0;
      const softmax = op.includes("oftmax");
      const got = await (softmax ? rs[op](tx, 1) : rs[op](tx, { axis: 1 })).toArray();
      let error = 0;
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const row = Array.from({ length: axis }, (_, a) => at(o, a, i));
          const max = Math.max(...row), total = row.reduce((s, v) => s + Math.exp(v - max), 0);
          const sum = row.reduce((s, v) => s + v, 0);
          const want = softmax
            ? row.map((v) => (op === "softmax" ? Math.exp(v - max) / total : v - max - Math.log(total)))
            : [
              { sum, mean: sum / axis, max, min: Math.min(...row) }[op as "sum"],
            ];
          want.forEach((w, a) => {
            const index = softmax ? (o * axis + a) * inner + i : o * inner + i;
            error = Math.max(error, Math.abs(got[index] - w));
          });
        }
      }
      const tolerance = op === "sum" ? 1e-6 * axis : op === "logSoftmax" ? 2e-5 : 1e-6;
      results.push({
        what: `${op} ${outer}x${axis}x${inner}`,
        error,
        tolerance,
        // max and min combine with the NaN-propagating tree even where "subgroup" is chosen.
        ran: seen.some((w) => w.includes(op === "max" || op === "min" ? "(tree)" : "(subgroup)")),
      });
    }
    tx.dispose();
  }
  // Matmul (every transpose, a batch with B broadcast) and Gram, with every tuned class set to "subgroup".
  for (const family of ["matmul", "gram"]) {
    for (const shapeClass of ["small", "large"]) rt.tuning.set({ family, shapeClass }, "subgroup");
  }
  const products: [number, number, number, number][] = [[1, 1, 1, 1], [7, 13, 5, 1], [67, 300, 21, 1], [
    9,
    70,
    33,
    3,
  ]];
  for (const [m, n, k, batch] of products) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const av = values(batch * m * k), bv = values(k * n);
        const a = rs.Tensor.fromArray(
          av,
          batch > 1 ? [batch, transposeA ? k : m, transposeA ? m : k] : [transposeA ? k : m, transposeA ? m : k],
        );
        const b = rs.Tensor.fromArray(bv, [transposeB ? n : k, transposeB ? k : n]);
        seen.length = 0;
        const got = await rs.matmul(a, b, { transposeA, transposeB }).toArray();
        let error = 0;
        for (let z = 0; z < batch; z++) {
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let want = 0;
              for (let q = 0; q < k; q++) {
                const x = av[z * m * k + (transposeA ? q * m + i : i * k + q)];
                want += x * bv[transposeB ? j * k + q : q * n + j];
              }
              error = Math.max(error, Math.abs(got[(z * m + i) * n + j] - want));
            }
          }
        }
        results.push({
          what: `matmul ${batch}x${m}x${n}x${k} tA=${transposeA} tB=${transposeB}`,
          error,
          tolerance: 1e-5 * Math.sqrt(k),
          ran: seen.some((w) => w.includes("(subgroup variant)")),
        });
        a.dispose();
        b.dispose();
      }
    }
  }
  for (const [m, k] of [[1, 1], [65, 17], [300, 40]]) {
    const av = values(m * k);
    const x = rs.Tensor.fromArray(av, [m, k]);
    seen.length = 0;
    const got = await rs.gram(x).toArray();
    let error = 0, asymmetric = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        let want = 0;
        for (let q = 0; q < k; q++) want += av[i * k + q] * av[j * k + q];
        error = Math.max(error, Math.abs(got[i * m + j] - want));
        if (got[i * m + j] !== got[j * m + i]) asymmetric++;
      }
    }
    // An asymmetric entry counts as a failure (Gram kernels promise exact symmetry).
    results.push({
      what: `gram ${m}x${k}`,
      error: asymmetric > 0 ? Infinity : error,
      tolerance: 1e-5 * Math.sqrt(k),
      ran: seen.some((w) => w.includes("(subgroup variant)")),
    });
    x.dispose();
  }
  delete rt.dispatch;
  rt.tuning.clear();
  return { subgroups: true, results };
}

/** Starts headless Chromium with WebGPU and returns its DevTools endpoint. */
async function launch(profile: string): Promise<{ child: Deno.ChildProcess; port: number }> {
  const args = [
    "--headless=new",
    "--no-sandbox",
    "--enable-unsafe-webgpu",
    "--enable-features=Vulkan",
    "--use-angle=swiftshader",
    "--disable-gpu-sandbox",
    "--no-first-run",
    "--no-default-browser-check",
    `--user-data-dir=${profile}`,
    "--remote-debugging-port=0",
    "about:blank",
  ];
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("chromium", { args, stdout: "null", stderr: "piped" }).spawn();
  } catch (e) {
    throw new Error(`cannot start chromium (${(e as Error).message}); install it: apt-get install -y chromium`);
  }
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    const m = /DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(text);
    if (m) {
      // Keep draining stderr so Chromium never blocks on a full pipe.
      (async () => {
        while (!(await reader.read()).done) { /* discard */ }
      })();
      return { child, port: Number(m[1]) };
    }
  }
  child.kill();
  throw new Error(`chromium did not open its DevTools port:\n${text.slice(-2000)}`);
}

async function main() {
  await build();
  const { port, server } = serve();
  const profile = await Deno.makeTempDir({ prefix: "rankscope-chromium-" });
  const { child, port: devtools } = await launch(profile);
  let cdp: Cdp | null = null;
  try {
    const targets = await (await fetch(`http://127.0.0.1:${devtools}/json/list`)).json();
    const page = targets.find((t: { type: string }) => t.type === "page");
    cdp = await Cdp.open(page.webSocketDebuggerUrl);
    await cdp.send("Runtime.enable");
    await cdp.send("Log.enable");
    await cdp.send("Page.enable");
    await cdp.send("Emulation.setDeviceMetricsOverride", {
      width: 820,
      height: 1000,
      deviceScaleFactor: 1,
      mobile: false,
    });
    const query = new URLSearchParams({
      subsets: OPTIONS.subsets.join(","),
      epochs: String(OPTIONS.epochs),
      lr: String(OPTIONS.lr),
      seed: String(OPTIONS.seed),
      batch: String(OPTIONS.batch),
      autostart: "1",
    });
    await cdp.send("Page.navigate", { url: `http://127.0.0.1:${port}/index.html?${query}` });
    type State = {
      status: string;
      adapter: string | null;
      rows: { epoch: number; entropies: number[] }[];
      error: string | null;
    };
    let state: State | null = null;
    const started = Date.now();
    while (Date.now() - started < TIMEOUT_MS) {
      await new Promise((r) => setTimeout(r, 1000));
      state = await cdp.evaluate<State | null>("globalThis.rankscopeState ?? null").catch(() => null);
      if (state && ["done", "error", "unsupported"].includes(state.status)) break;
    }
    const shot = await cdp.send<{ data: string }>("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: true,
    });
    await Deno.mkdir(out, { recursive: true });
    await Deno.writeFile(new URL("browser.png", out), Uint8Array.from(atob(shot.data), (c) => c.charCodeAt(0)));
    const figure = await cdp.evaluate<string>("document.getElementById('figure').innerHTML");
    const errors = cdp.events.filter((e) =>
      (e.method === "Runtime.consoleAPICalled" && e.params.type === "error") ||
      e.method === "Runtime.exceptionThrown" ||
      (e.method === "Log.entryAdded" && (e.params.entry as { level: string }).level === "error")
    ).map((e) => JSON.stringify(e.params).slice(0, 400));
    log(`page state: ${JSON.stringify(state)}`);
    assert.ok(state, "the page never reported its state");
    assert.equal(state.status, "done", `the page ended in "${state.status}": ${state.error}`);
    assert.ok(state.adapter, "the page reports an adapter");
    assert.ok(errors.length === 0, `console errors:\n${errors.join("\n")}`);
    assert.equal(state.rows.length, OPTIONS.epochs + 1);
    const series = figure.match(/class="series"/g)?.length ?? 0;
    assert.equal(
      series,
      OPTIONS.subsets.length + 1,
      `the figure draws ${OPTIONS.subsets.length} entropies and the accuracy`,
    );
    // The same computation in Deno.
    const { parseDigits, runLive } = await import(new URL("live.js", web).href);
    const { initGpu } = await import(new URL("rankscope.js", web).href);
    const rt = await initGpu();
    const digits = parseDigits((await Deno.readFile(new URL("digits.bin", web))).buffer);
    const rows: { entropies: number[] }[] = await runLive(digits, OPTIONS);
    let worst = 0;
    rows.forEach((r, e) =>
      r.entropies.forEach((s, k) => (worst = Math.max(worst, Math.abs(s - state!.rows[e].entropies[k]))))
    );
    const report: Record<string, unknown> = {
      browserAdapter: state.adapter,
      denoAdapter: rt.adapterName,
      page: state.rows,
      deno: rows,
      worst,
    };
    await Deno.writeTextFile(new URL("browser.json", out), JSON.stringify(report, null, 2));
    assert.ok(worst <= 1e-3, `page and Deno entropies differ by ${worst} (more than 1e-3)`);
    log(
      `ok: adapter "${state.adapter}", ${state.rows.length} evaluations, largest difference from Deno ${
        worst.toExponential(2)
      }`,
    );
    // The subgroup kernels, on the page's device (Chromium's SwiftShader offers the feature).
    const sub = await cdp.evaluate<{ subgroups: boolean; results: SubgroupResult[] }>(
      `(${subgroupKernelsInPage.toString()})()`,
    );
    assert.ok(sub.subgroups, "the page's device has no subgroups feature, so the subgroup kernels went untested");
    const failed = sub.results.filter((r) => !r.ran || !(r.error <= r.tolerance));
    assert.ok(failed.length === 0, `subgroup kernels failed: ${JSON.stringify(failed)}`);
    log(
      `ok: ${sub.results.length} subgroup reductions, softmaxes, matmuls and Grams match float64 (largest error ${
        Math.max(...sub.results.map((r) => r.error)).toExponential(2)
      })`,
    );
    report.subgroupKernels = sub.results;
    await Deno.writeTextFile(new URL("browser.json", out), JSON.stringify(report, null, 2));
    // Without WebGPU the page must say so in plain words (navigator.gpu removed before any script runs).
    await cdp.send("Page.addScriptToEvaluateOnNewDocument", { source: "delete Navigator.prototype.gpu;" });
    await cdp.send("Page.navigate", { url: `http://127.0.0.1:${port}/index.html` });
    type Without = { status: string; error: string | null } | null;
    let without = null as Without;
    for (let t = 0; t < 30 && without?.status !== "unsupported"; t++) {
      await new Promise((r) => setTimeout(r, 500));
      without = await cdp.evaluate<Without>("globalThis.rankscopeState ?? null").catch(() => null);
    }
    const shown = await cdp.evaluate<string>("document.getElementById('status').textContent");
    assert.equal(without?.status, "unsupported", "without navigator.gpu the page reports that WebGPU is unsupported");
    assert.ok(
      /no WebGPU/.test(shown) && /--enable-unsafe-webgpu/.test(shown),
      `the page explains what to do: ${shown}`,
    );
    log("ok: without WebGPU the page says so and names the browsers and flags");
    log("screenshot: out/browser.png");
  } finally {
    cdp?.close();
    child.kill();
    await child.status;
    await server.shutdown();
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

try {
  await main();
  Deno.exit(0);
} catch (e) {
  log(`FAILED: ${(e as Error).message}`);
  Deno.exit(1);
}
