import assert from "node:assert";
import * as r from "./_all.ts";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

Deno.test("two async tidy scopes running at once each free only their own tensors", async () => {
  await r.initGpu();
  assert.ok(r.ASYNC_SCOPES_ISOLATED, "Deno has AsyncLocalStorage");
  const before = r.Tensor.liveCount;
  const seen: { a: r.Tensor[]; b: r.Tensor[] } = { a: [], b: [] };
  // Interleave: each scope creates tensors across several awaits while the other is open.
  const body = (key: "a" | "b", value: number) => async () => {
    let acc = r.full([4], value);
    for (let step = 0; step < 5; step++) {
      await tick();
      seen[key].push(acc);
      acc = r.add(acc, 1);
    }
    return acc;
  };
  const [ra, rb] = await Promise.all([r.tidy(body("a", 10)), r.tidy(body("b", 100))]);
  assert.deepEqual([...await ra.toArray()], [15, 15, 15, 15]);
  assert.deepEqual([...await rb.toArray()], [105, 105, 105, 105]);
  assert.ok(seen.a.every((t) => t.disposed) && seen.b.every((t) => t.disposed), "intermediates freed");
  assert.equal(r.Tensor.liveCount, before + 2, "only the two results stay");
  ra.dispose();
  rb.dispose();
});

Deno.test("a nested async tidy hands its result to the enclosing scope", async () => {
  await r.initGpu();
  const before = r.Tensor.liveCount;
  let inner: r.Tensor | null = null;
  const outer = await r.tidy(async () => {
    inner = await r.tidy(async () => {
      await tick();
      return r.mul(r.full([2], 3), 2);
    });
    await tick();
    return r.add(inner, 1);
  });
  assert.ok(inner!.disposed, "the inner result belonged to the outer scope, which freed it");
  assert.deepEqual([...await outer.toArray()], [7, 7]);
  assert.equal(r.Tensor.liveCount, before + 1);
  outer.dispose();
});

Deno.test("noGrad lasts across awaits inside its async function", async () => {
  await r.initGpu();
  const w = r.Tensor.fromArray([1, 2]);
  w.requiresGrad = true;
  const y = await r.noGrad(async () => {
    await tick();
    return r.mul(w, 2);
  });
  assert.equal(y.gradNode, null, "not recorded");
  assert.ok(r.mul(w, 2).gradNode !== null, "recording resumes afterwards");
});

Deno.test("sync scopes extend the current context in place: nested in async scopes, and around promises", async () => {
  await r.initGpu();
  const before = r.Tensor.liveCount;
  // A synchronous tidy inside each of two interleaved async scopes frees its own temporaries and hands
  // its result to the async scope it ran in.
  const body = (value: number) => async () => {
    let acc = r.full([3], value);
    for (let step = 0; step < 4; step++) {
      await tick();
      acc = r.tidy(() => r.add(r.mul(acc, 1), 1));
    }
    return acc;
  };
  const [a, b] = await Promise.all([r.tidy(body(1)), r.tidy(body(50))]);
  assert.deepEqual([...await a.toArray(), ...await b.toArray()], [5, 5, 5, 54, 54, 54]);
  assert.equal(r.Tensor.liveCount, before + 2, "only the two results stay");
  // A function that returns a promise without being declared async: its scope stays open until the
  // promise settles, so what it creates after an await is freed too.
  let late: r.Tensor | null = null;
  const kept = await r.tidy(() =>
    (async () => {
      await tick();
      late = r.full([2], 7);
      return r.add(late, 1);
    })()
  );
  assert.ok(late!.disposed, "created after the await, freed by the scope");
  assert.equal(r.Tensor.liveCount, before + 3);
  // Two such scopes overlapping break the stack discipline: the one closed out of order says so.
  const slow = (ms: number) => () =>
    (async () => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return r.full([1], ms);
    })();
  const outcomes = await Promise.allSettled([r.tidy(slow(1)), r.tidy(slow(20))]);
  assert.ok(
    outcomes.some((o) => o.status === "rejected" && /overlapped/.test(String(o.reason))),
    "the overlap is an error",
  );
  // Synchronous noGrad inside an async function: recording is off for its body only.
  const w = r.Tensor.fromArray([1, 2]);
  w.requiresGrad = true;
  const [off, on] = await r.tidy(async () => {
    await tick();
    const off = r.noGrad(() => r.mul(w, 2));
    return [r.keep(off), r.keep(r.mul(w, 2))];
  });
  assert.equal(off.gradNode, null);
  assert.ok(on.gradNode !== null);
  for (const t of [a, b, kept, off, on, w]) t.dispose();
  for (const o of outcomes) if (o.status === "fulfilled") o.value.dispose();
});

Deno.test("tensors carry their runtime; ops run on their operands' runtime", async () => {
  const shared = await r.initGpu();
  await shared.sync();
  // A second runtime on the same device (its own pool, pipelines and command stream).
  const second = new r.Runtime(shared.device, "second runtime");
  const a = r.Tensor.fromArray([1, 2, 3, 4], [2, 2], { runtime: second });
  const b = r.full([2, 2], 1, { runtime: second });
  const c = r.matmul(a, r.add(b, r.randomNormal([2, 2], { seed: 1, std: 0, runtime: second })));
  assert.equal(c.runtime, second);
  assert.equal(r.sum(c).runtime, second);
  assert.deepEqual([...await c.toArray()], [3, 3, 7, 7]);
  assert.ok(second.stats.dispatches > 0 && second.pool.bytesInUse > 0);
  const { values, vectors } = await r.eigh(r.Tensor.fromArray([2, 1, 1, 2], [2, 2], { runtime: second }));
  assert.equal(vectors.runtime, second);
  assert.ok(Math.abs(values[1] - 3) < 1e-6);
  const other = r.Tensor.fromArray([1, 1, 1, 1], [2, 2]);
  assert.equal(other.runtime, shared);
  assert.throws(
    () => r.matmul(a, other),
    (e: unknown) =>
      e instanceof RangeError && /Cannot multiply matrices: the tensors live on different runtimes/.test(e.message),
  );
  assert.throws(() => r.add(a, other), /Cannot map: the tensors live on different runtimes/);
});
