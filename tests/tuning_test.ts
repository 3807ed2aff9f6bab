import assert from "node:assert";
import { initGpu, Runtime, Tensor } from "./_all.ts";
import {
  dispatchGram,
  dispatchMatmul,
  dispatchReduce,
  dispatchSoftmax,
  memoryTuningStore,
  SHARED_MAX_INNER_DIMENSION,
  TUNED_FAMILIES,
  tunedChoice,
  tuneKernels,
  TUNING_VERSION,
  tuningKey,
  type TuningStore,
  VARIANTS,
} from "../kernels/mod.ts";
import { referenceMatmul } from "./_reference.ts";
import { assertClose, seededValues } from "./_helpers.ts";

/** A memory store that counts its reads and writes. */
function countingStore(): TuningStore & { reads: number; writes: number } {
  const inner = memoryTuningStore();
  const store = {
    reads: 0,
    writes: 0,
    read: (key: string) => (store.reads++, inner.read(key)),
    write: (key: string, choices: Record<string, string>) => (store.writes++, inner.write(key, choices)),
  };
  return store;
}

/** Saves the runtime's tuning choices; the returned function puts them back. */
function keepTuning(rt: Runtime): () => void {
  const saved = rt.tuning.entries();
  return () => {
    rt.tuning.clear();
    saved.forEach(({ family, shapeClass, variant }) => rt.tuning.set({ family, shapeClass }, variant));
  };
}

/** The WGSL of every dispatch `record` makes on the runtime (the dispatches still run). */
function shadersOf(rt: Runtime, record: () => void): string[] {
  const seen: string[] = [];
  const dispatch = rt.dispatch.bind(rt);
  rt.dispatch = (call) => (seen.push(call.wgsl), dispatch(call));
  try {
    record();
  } finally {
    delete (rt as { dispatch?: unknown }).dispatch; // back to the class's method
  }
  return seen;
}

Deno.test("the tuner measures each matmul shape class once per adapter and store, then reuses the choice", async () => {
  const rt = await initGpu();
  const restore = keepTuning(rt);
  try {
    const store = countingStore();
    const first = await tuneKernels(rt, store);
    assert.deepEqual(first, {
      matmul: { small: first.matmul.small, large: first.matmul.large },
      gram: { small: first.gram.small, large: first.gram.large },
      jacobi: { all: first.jacobi.all },
      reduce: { short: first.reduce.short, medium: first.reduce.medium, long: first.reduce.long },
      softmax: { short: first.softmax.short, long: first.softmax.long },
    });
    assert.notEqual(first.reduce.long, "serial", "no serial reduction past its axis limit");
    const named = Object.entries(first).flatMap(([family, classes]) =>
      Object.values(classes).map((variant) => VARIANTS[family].includes(variant))
    );
    assert.ok(named.every((known) => known), JSON.stringify(first));
    assert.deepEqual(rt.tuning.toJSON(), first);
    assert.equal(store.writes, TUNED_FAMILIES.length, "one record per family");
    assert.ok(tuningKey(rt, "matmul").includes(rt.adapterIdentity));
    assert.ok(tuningKey(rt, "matmul").includes(`v${TUNING_VERSION} `));
    // A second tuning reads the store and runs nothing on the device.
    const before = rt.stats.dispatches;
    assert.deepEqual(await tuneKernels(rt, store), first);
    assert.equal(rt.stats.dispatches, before, "no timing runs");
    assert.equal(store.writes, TUNED_FAMILIES.length);
    // A stored choice naming no known variant is measured again.
    await store.write(tuningKey(rt, "matmul"), { small: "warp-specialised", large: "register" });
    await tuneKernels(rt, store);
    assert.ok(rt.stats.dispatches > before, "re-measured");
  } finally {
    restore();
  }
});

Deno.test("dispatchMatmul follows the tuned variant of the shape class, with the same result", async () => {
  const rt = await initGpu();
  const [m, n, k] = [33, 70, 19];
  const a = seededValues(m * k, 1), b = seededValues(k * n, 2);
  const geometry = { m, n, k, transposeA: false, transposeB: false };
  const restore = keepTuning(rt);
  try {
    for (const variant of ["shared", "register"]) {
      rt.tuning.set({ family: "matmul", shapeClass: "small" }, variant);
      const [ta, tb, tc] = [Tensor.fromArray(a), Tensor.fromArray(b), Tensor.empty([m * n])];
      const seen = shadersOf(rt, () => dispatchMatmul(rt, { a: ta.buffer, b: tb.buffer, c: tc.buffer, ...geometry }));
      assert.equal(seen.length, 1);
      assert.equal(seen[0].includes("workgroup-memory variant"), variant === "shared", `the ${variant} kernel ran`);
      assertClose(await tc.toArray(), referenceMatmul(a, b, geometry), { atol: 1e-5 * Math.sqrt(k), rtol: 1e-5 });
      [ta, tb, tc].forEach((t) => t.dispose());
    }
  } finally {
    restore();
  }
});

Deno.test("dispatchGram follows the tuned variant too", async () => {
  const rt = await initGpu();
  const [m, k] = [40, 9];
  const [ta, tg] = [Tensor.fromArray(seededValues(m * k, 3)), Tensor.empty([m * m])];
  const restore = keepTuning(rt);
  try {
    for (const variant of ["shared", "register"]) {
      rt.tuning.set({ family: "gram", shapeClass: "small" }, variant);
      const seen = shadersOf(rt, () => dispatchGram(rt, { a: ta.buffer, g: tg.buffer, m, k }));
      assert.equal(seen[0].includes("workgroup-memory variant"), variant === "shared", `the ${variant} Gram ran`);
    }
  } finally {
    restore();
    [ta, tg].forEach((t) => t.dispose());
  }
});

Deno.test("reductions and softmax follow the tuned variant of their shape class, and fall back when the device cannot run it", async () => {
  const rt = await initGpu();
  const x = Tensor.fromArray(seededValues(6 * 40, 4));
  const y = Tensor.empty([6 * 40]);
  const restore = keepTuning(rt);
  const kernelOf = (wgsl: string) =>
    wgsl.includes("(subgroup)") ? "subgroup" : /^\/\/ serial|\(serial\)/m.test(wgsl) ? "serial" : "tree";
  try {
    for (const variant of ["serial", "tree", "subgroup"]) {
      rt.tuning.set({ family: "reduce", shapeClass: "short" }, variant);
      rt.tuning.set({ family: "softmax", shapeClass: "short" }, variant);
      const reduce = shadersOf(
        rt,
        () => dispatchReduce(rt, { x: x.buffer, y: y.buffer, outer: 6, axis: 40, inner: 1, op: "sum" }),
      );
      const softmax = shadersOf(
        rt,
        () => dispatchSoftmax(rt, { x: x.buffer, y: y.buffer, outer: 6, axis: 40, inner: 1 }),
      );
      // A subgroup choice on a device without the feature runs the default: serial, for these short rows.
      const expected = (fallback: string) => variant === "subgroup" && !rt.subgroups ? fallback : variant;
      assert.equal(kernelOf(reduce[0]), expected("serial"), `reduce tuned ${variant}`);
      assert.equal(kernelOf(softmax[0]), expected("serial"), `softmax tuned ${variant}`);
    }
    // A tuned serial choice never reaches an axis past the serial limit.
    rt.tuning.set({ family: "reduce", shapeClass: "long" }, "serial");
    const long = Tensor.fromArray(seededValues(3000, 5));
    const seen = shadersOf(
      rt,
      () => dispatchReduce(rt, { x: long.buffer, y: y.buffer, outer: 1, axis: 3000, inner: 1, op: "max" }),
    );
    assert.equal(kernelOf(seen[0]), "tree");
    long.dispose();
  } finally {
    restore();
    [x, y].forEach((t) => t.dispose());
  }
});

Deno.test("the shared variants stay within the loop budget: past 13,104 a named one is refused and a tuned one gives way", async () => {
  const rt = await initGpu();
  // Products of ones have exact answers: before the limit, the shared kernels on lavapipe returned 58,255
  // for k = 65,536 (the loop stopped silently).
  const [m, n, k] = [4, 4, 65536];
  const [a, b, c, g] = [
    Tensor.fromArray(new Float32Array(m * k).fill(1)),
    Tensor.fromArray(new Float32Array(k * n).fill(1)),
    Tensor.empty([m * n]),
    Tensor.empty([m * m]),
  ];
  const restore = keepTuning(rt);
  try {
    const geometry = { m, n, k, transposeA: false, transposeB: false };
    assert.throws(
      () => dispatchMatmul(rt, { a: a.buffer, b: b.buffer, c: c.buffer, ...geometry, variant: "shared" }),
      (e: unknown) =>
        e instanceof RangeError && /shared variant takes inner dimensions up to 13104 \(got 65536\)/.test(e.message),
    );
    assert.throws(() => dispatchGram(rt, { a: a.buffer, g: g.buffer, m, k, variant: "shared" }), RangeError);
    rt.tuning.set({ family: "matmul", shapeClass: "small" }, "shared");
    rt.tuning.set({ family: "gram", shapeClass: "small" }, "shared");
    const seen = shadersOf(rt, () => {
      dispatchMatmul(rt, { a: a.buffer, b: b.buffer, c: c.buffer, ...geometry });
      dispatchGram(rt, { a: a.buffer, g: g.buffer, m, k });
    });
    assert.ok(seen.every((w) => !w.includes("workgroup-memory variant")), "the register kernels ran");
    assert.deepEqual([...await c.toArray()], new Array(m * n).fill(k));
    assert.deepEqual([...await g.toArray()], new Array(m * m).fill(k));
    // At the limit the shared kernels are exact.
    const kMax = SHARED_MAX_INNER_DIMENSION;
    dispatchMatmul(rt, { a: a.buffer, b: b.buffer, c: c.buffer, m, n, k: kMax, transposeA: false, transposeB: false });
    dispatchGram(rt, { a: a.buffer, g: g.buffer, m, k: kMax, variant: "shared" });
    assert.deepEqual([...await c.toArray()], new Array(m * n).fill(kMax));
    assert.deepEqual([...await g.toArray()], new Array(m * m).fill(kMax));
  } finally {
    restore();
    [a, b, c, g].forEach((t) => t.dispose());
  }
});

Deno.test("tunedChoice measures once per adapter and store, shares a measurement in flight, and reads it back", async () => {
  const rt = await initGpu();
  let runs = 0;
  const measure = async () => {
    runs++;
    await new Promise((resolve) => setTimeout(resolve, 10));
    return { fixed: 0.25, perCube: 1e-9 };
  };
  const name = `test choice ${Math.random()}`;
  const [a, b] = await Promise.all([tunedChoice(rt, name, measure), tunedChoice(rt, name, measure)]);
  assert.deepEqual(a, { fixed: 0.25, perCube: 1e-9 });
  assert.deepEqual(b, a);
  assert.equal(runs, 1, "concurrent callers share one measurement");
  assert.deepEqual(await tunedChoice(rt, name, measure), a);
  assert.equal(runs, 1);
  // The value is in the runtime's store, keyed by adapter identity and version: a new runtime on the
  // same adapter and store reads it without measuring.
  const other = new Runtime(rt.device, rt.adapterName, rt.adapterIdentity);
  other.tuningStore = rt.tuningStore;
  assert.deepEqual(await tunedChoice(other, name, measure), a);
  assert.equal(runs, 1);
  // A failed measurement is not kept: the next call measures again.
  const failing = `${name} failing`;
  await assert.rejects(tunedChoice(rt, failing, () => Promise.reject(new Error("no"))), /no/);
  assert.equal(await tunedChoice(rt, failing, () => Promise.resolve(7)), 7);
});
