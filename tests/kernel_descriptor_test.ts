import assert from "node:assert";
import { defineKernel, LOOP_BUDGET } from "../kernels/_kernel.ts";
import * as r from "./_all.ts";

Deno.test("defineKernel() memoises on every option, validates once, and computes the grid once", () => {
  let validated = 0, generated = 0;
  const kernel = defineKernel<{ size: number; flag?: boolean }>({
    name: "test",
    validate: (o) => {
      validated++;
      if (!(o.size >= 1)) throw new RangeError(`size must be >= 1 (got ${o.size})`);
    },
    workgroups: (o) => r.linearGrid(o.size),
    wgsl: (o, [gridX]) => {
      generated++;
      return `// size ${o.size} flag ${o.flag} grid ${gridX}`;
    },
  });
  const a = kernel({ size: 70000 });
  assert.deepEqual(a.workgroups, [35000, 2]);
  assert.equal(a.wgsl, "// size 70000 flag undefined grid 35000", "the WGSL sees the grid the dispatch uses");
  assert.equal(kernel({ size: 70000 }), a, "same options, same descriptor");
  // A new option is part of the key: it can never reuse the shader of other options.
  assert.notEqual(kernel({ size: 70000, flag: true }).wgsl, a.wgsl);
  assert.equal(validated, 2);
  assert.equal(generated, 2);
  assert.throws(() => kernel({ size: 0 }), /size must be >= 1 \(got 0\)/);
});

Deno.test("every per-invocation cap derives from LOOP_BUDGET, a quarter of lavapipe's 65,535-iteration limit", () => {
  assert.ok(3 * LOOP_BUDGET < 65535, "well below lavapipe's limit, leaving room for nested loops");
  assert.equal(r.MAX_INNER_DIMENSION, 4 * LOOP_BUDGET); // k/4 vec4 steps per invocation
  assert.equal(r.MAX_SOFTMAX_AXIS / r.SOFTMAX_WORKGROUP, LOOP_BUDGET / 4); // per phase, three phases
  assert.equal(r.REDUCE_CHUNK / r.REDUCE_WORKGROUP, LOOP_BUDGET / 16);
  assert.equal(r.SERIAL_REDUCE_MAX_AXIS, LOOP_BUDGET / 16);
});
