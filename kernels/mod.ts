/**
 * WGSL kernels and the WebGPU runtime, for people writing their own kernels: the runtime, buffer pool and
 * pipeline cache, every kernel family's WGSL generator and dispatcher, the variant rule and the tuner, and
 * the host twin of the random generator.
 *
 * Modules form a graph without cycles: `linear_grid.ts`, `tuning_store.ts` and `_kernel.ts` are leaves;
 * `runtime.ts` holds the `Runtime` class; the families (matmul.ts, gram.ts, jacobi_family.ts, reduce.ts,
 * softmax.ts) import those and `choose_variant.ts`; `tuning.ts` and `subgroup_probe.ts` import the
 * families; `init_gpu.ts` (initGpu, runtime()) sits on top.
 *
 * A kernel family with variants exports one value, a `VariantFamily` (`MATMUL_FAMILY`, `GRAM_FAMILY`,
 * `JACOBI_FAMILY`, `REDUCE_FAMILY`, `SOFTMAX_FAMILY`), and `chooseVariant(rt, family, call, named?)` is the
 * one rule that picks a variant, for dispatch, the tuner, the subgroup probe and the benchmarks alike.
 *
 * To add a variant, edit the family's file only:
 *
 * 1. Add its name to the family's variant type (e.g. `MatmulVariant`, `ReduceVariant`).
 * 2. Add its entry to the family value's `variants`, after the existing ones (the order is the listing
 *    and tie-break order): its `runs(rt, call)` test (the limits it needs, `rt.subgroups` where it uses
 *    subgroups, with `subgroups: true`), its `refusal` message ("Cannot <verb>: <reason with the value and
 *    the limit>"), and how it builds its WGSL and grid (or records its dispatches).
 * 3. If it uses subgroups and needs a check of its own, give the family a `probe` (a call with an exact
 *    answer); the probe runs before anything uses the variant.
 * 4. Bump `TUNING_VERSION` (kernels/tuning_store.ts) so that stored choices are measured again: the tuner
 *    times every variant that `runs` at each shape class's tuning shape by itself, dispatch and the
 *    benchmarks list it from `variants`, and `*_VARIANTS` lists follow.
 * 5. Test it against the reference with the variant named (`variant: "<name>"`) on awkward sizes.
 *
 * @module
 */
export * from "./buffer_pool.ts";
export * from "./choose_variant.ts";
export * from "./device.ts";
export * from "./elementwise.ts";
export * from "./gram.ts";
export * from "./host_random.ts";
export * from "./im2col.ts";
export * from "./init_gpu.ts";
export * from "./jacobi.ts";
export * from "./jacobi_family.ts";
export * from "./linear_grid.ts";
export * from "./matmul.ts";
export * from "./optimizer.ts";
export * from "./philox.ts";
export * from "./pipeline_cache.ts";
export * from "./reduce.ts";
export * from "./runtime.ts";
export * from "./softmax.ts";
export * from "./ntk_recursion.ts";
export * from "./matmul_shared.ts";
export * from "./matmul_subgroup.ts";
export * from "./subgroup_probe.ts";
export * from "./tuned_choice.ts";
export * from "./tuning.ts";
export * from "./tuning_store.ts";
export * from "./block_jacobi.ts";
