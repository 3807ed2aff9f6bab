import assert from "node:assert";
import * as r from "../mod.ts";
import type { KernelLayer } from "../analysis/mod.ts";
import { rootSymbols } from "./_doc.ts";

/**
 * Every root function and class, each argument with the bad values of its kind. A bad value must give a
 * TypeError or RangeError whose message names the argument, before any work. The test reads the exports
 * from `deno doc`, so a new export without an entry here fails it.
 */

// The bad values of each kind of argument (the list: NaN, ±Inf, 0, −1, 2.5, 2⁵³, "x", null,
// undefined, [], a wrong-length array, an unknown option key).
const NOT_TENSOR = [NaN, Infinity, -Infinity, 0, -1, 2.5, 2 ** 53, "x", null, undefined, [], [1, 2], {}];
const NOT_COUNT = [NaN, Infinity, -Infinity, 0, -1, 2.5, 2 ** 53, "x", null, [], {}];
const NOT_SEED = [NaN, Infinity, -1, 2.5, 2 ** 53, "x", null, [], {}];
const NOT_FUNCTION = [5, "x", null, undefined, [], {}];
const NOT_NUMBERS = [5, "x", null, undefined, {}, ["x"]];
const NOT_FINITE_NUMBERS = [...NOT_NUMBERS, [NaN], [Infinity]];
const NOT_SHAPE = [[2.5], [0], [-1], [NaN], [2 ** 53], "x", 5, null];
const NOT_OPTIONS = [5, "x", null, [], { notAnOption: 1 }];
const NOT_BOOLEAN = [0, 1, "yes", null];
const NOT_NONNEGATIVE = [NaN, Infinity, -1, "x", null];
const NOT_LAYER = [5, "x", null, undefined, {}, []];
const NOT_STRING = [5, null, undefined, {}];

/** One argument of a call: its name as messages give it, the call with `v` in its place, and its bad values. */
interface Slot {
  arg: string;
  call: (v: unknown) => unknown;
  bad: readonly unknown[];
}

// deno-lint-ignore no-explicit-any
type Any = any;
const T = (v: number[], shape?: number[]) => r.Tensor.fromArray(v, shape);
const m22 = () => T([1, 0, 0, 2], [2, 2]);
/** Four examples of two features, not constant. */
const feat = () => T([1, 0, 0, 2, 3, 1, 2, 5], [4, 2]);
const img = () => r.full([1, 3, 3, 1], 1);
const model = () =>
  new r.Sequential([new r.Dense(2, 3, { seed: 1 }), new r.Activation("tanh"), new r.Dense(3, 1, { seed: 2 })]);
const data = () => ({ x: new Float32Array([0, 1, 1, 0]), y: new Float32Array([1, 0]), xShape: [2, 2], yShape: [2, 1] });
const dense: KernelLayer[] = [{ kind: "dense", weightStd: 1, biasStd: 0 }];
const opts = (call: (o: Any) => unknown): Slot => ({ arg: "option", call, bad: NOT_OPTIONS });
/** For options merged into required ones (`{ seed: 1, ...o }`): only an unknown key can reach the check. */
const extraKey = (call: (o: Any) => unknown): Slot => ({ arg: "option", call, bad: [{ notAnOption: 1 }] });
const tensor = (arg: string, call: (v: Any) => unknown): Slot => ({ arg, call, bad: NOT_TENSOR });
const unary = (f: (x: Any) => unknown): Slot[] => [tensor("x", f)];
const binary = (f: (a: Any, b: Any) => unknown): Slot[] => [
  { arg: "b", call: (v) => f(T([1]), v), bad: ["x", null, undefined, [], {}, 1e39] },
  { arg: "operand", call: (v) => f(v, 2), bad: [5, "x", null] },
];
const seq = () => r.full([1, 2, 4], 1);
const pareto = () => Array.from({ length: 60 }, (_, i) => 1 / (1 - i / 60) ** 0.5);
const esd = () => [{ name: "0", eigenvalues: [0.5, 1, 2, 4] }];
const fit = (o: Any) => r.fit(new r.Dense(2, 1), data(), { loss: r.mseLoss, optimizer: new r.Sgd({ lr: 0.1 }), ...o });

/** The table (built after initGpu: some bad values are tensors). */
function buildSlots(): Record<string, Slot[]> {
  return {
    loadMnist: [opts((o) => r.loadMnist(o)), {
      arg: "options.train",
      call: (v) => r.loadMnist({ train: v as number }),
      bad: NOT_SEED,
    }],
    initGpu: [opts((o) => r.initGpu(o)), {
      arg: "options.tuning",
      call: (v) => r.initGpu({ tuning: v as "auto" }),
      bad: ["fast", 5, null],
    }],
    Runtime: [{ arg: "Runtime", call: (v) => new (r.Runtime as Any)(v, "adapter"), bad: [5, null, undefined, {}] }],
    deriveSeed: [
      { arg: "seed", call: (v) => r.deriveSeed(v as number, "a"), bad: NOT_SEED },
      { arg: "path element", call: (v) => r.deriveSeed(1, v as string), bad: [null, {}, [], undefined] },
    ],
    keep: [tensor("t", (v) => r.keep(v))],
    noGrad: [{ arg: "fn", call: (v) => r.noGrad(v as () => void), bad: NOT_FUNCTION }],
    Tensor: [{ arg: "tensor", call: (v) => new (r.Tensor as Any)(v, [1]), bad: [5, null, undefined, {}] }],
    "Tensor.fromArray": [
      { arg: "value", call: (v) => r.Tensor.fromArray(v as number[]), bad: [["x"], [null], [1e39], [{}]] },
      { arg: "data", call: (v) => r.Tensor.fromArray(v as number[]), bad: [5, null, undefined, "x"] },
      {
        arg: "shape",
        call: (v) => r.Tensor.fromArray([1, 2], v as number[]),
        bad: [[2.5], [0], [-1], [3], [NaN], 5, null],
      },
      opts((o) => r.Tensor.fromArray([1], [1], o)),
    ],
    tidy: [{ arg: "fn", call: (v) => r.tidy(v as () => void), bad: NOT_FUNCTION }],
    grad: [
      tensor("output", (v) => r.grad(v, [])),
      { arg: "inputs", call: (v) => r.grad(r.sum(T([1])), v as Any), bad: [5, "x", null, undefined, {}] },
      { arg: "input 0", call: (v) => r.grad(r.sum(T([1])), [v as Any]), bad: [5, "x", null, [], {}] },
      opts((o) => r.grad(r.sum(T([1])), [], o)),
    ],
    abs: unary(r.abs),
    add: binary(r.add),
    broadcastTo: [tensor("x", (v) => r.broadcastTo(v, [2])), {
      arg: "shape",
      call: (v) => r.broadcastTo(T([1]), v as Any),
      bad: NOT_SHAPE,
    }],
    cos: unary(r.cos),
    div: binary(r.div),
    elu: unary(r.elu),
    erf: unary(r.erf),
    exp: unary(r.exp),
    full: [
      { arg: "shape", call: (v) => r.full(v as number[], 1), bad: NOT_SHAPE },
      { arg: "value", call: (v) => r.full([2], v as number), bad: ["x", null, [], {}, 1e39, -1e39] },
      opts((o) => r.full([1], 0, o)),
    ],
    log: unary(r.log),
    map: [
      { arg: "inputs", call: (v) => r.map(v as Any, "x0"), bad: [5, "x", null, undefined, {}] },
      { arg: "input 0", call: (v) => r.map([v as Any, T([1])], "x0 + x1"), bad: ["x", null, [], {}, 1e39] },
      { arg: "expr", call: (v) => r.map([T([1])], v as string), bad: NOT_STRING },
    ],
    maximum: binary(r.maximum),
    mul: binary(r.mul),
    neg: unary(r.neg),
    relu: unary(r.relu),
    sigmoid: unary(r.sigmoid),
    sin: unary(r.sin),
    sqrt: unary(r.sqrt),
    square: unary(r.square),
    sub: binary(r.sub),
    tanh: unary(r.tanh),
    max: [tensor("x", (v) => r.max(v)), opts((o) => r.max(T([1]), o)), {
      arg: "axis",
      call: (v) => r.max(T([1, 2]), { axis: v as number }),
      bad: [1, -2, 0.5, NaN, "x", null],
    }],
    mean: [tensor("x", (v) => r.mean(v)), opts((o) => r.mean(T([1]), o))],
    min: [tensor("x", (v) => r.min(v)), opts((o) => r.min(T([1]), o))],
    sum: [tensor("x", (v) => r.sum(v)), opts((o) => r.sum(T([1]), o)), {
      arg: "axis",
      call: (v) => r.sum(T([1, 2]), { axis: v as number }),
      bad: [1, -2, 0.5, NaN, "x", null],
    }],
    logSoftmax: [tensor("x", (v) => r.logSoftmax(v)), {
      arg: "axis",
      call: (v) => r.logSoftmax(T([1, 2]), v as number),
      bad: [1, 0.5, NaN, "x", null],
    }],
    softmax: [tensor("x", (v) => r.softmax(v)), {
      arg: "axis",
      call: (v) => r.softmax(T([1, 2]), v as number),
      bad: [1, 0.5, NaN, "x", null],
    }],
    gram: [tensor("a", (v) => r.gram(v))],
    matmul: [
      tensor("a", (v) => r.matmul(v, m22())),
      tensor("b", (v) => r.matmul(m22(), v)),
      opts((o) => r.matmul(m22(), m22(), o)),
      {
        arg: "options.transposeB",
        call: (v) => r.matmul(m22(), m22(), { transposeB: v as boolean }),
        bad: NOT_BOOLEAN,
      },
    ],
    concat: [
      { arg: "xs", call: (v) => r.concat(v as Any), bad: [5, "x", null, undefined, {}] },
      { arg: "xs[1]", call: (v) => r.concat([T([1]), v as Any]), bad: NOT_TENSOR },
      { arg: "axis", call: (v) => r.concat([T([1]), T([2])], v as number), bad: [1, 0.5, NaN, "x", null] },
    ],
    pad: [
      tensor("x", (v) => r.pad(v, [0], [2])),
      { arg: "pad", call: (v) => r.pad(T([1]), v as number[], [2]), bad: [[0.5], [NaN], [-1], [2], 5, null] },
      { arg: "pad", call: (v) => r.pad(T([1]), [0], v as number[]), bad: [[0.5], [NaN], [0], 5, null] },
    ],
    slice: [
      tensor("x", (v) => r.slice(v, [0], [1])),
      { arg: "slice", call: (v) => r.slice(T([1, 2]), v as number[], [1]), bad: [[0.5], [NaN], [-1], [2], 5, null] },
      { arg: "slice", call: (v) => r.slice(T([1, 2]), [0], v as number[]), bad: [[0.5], [NaN], [0], [3], 5, null] },
    ],
    transpose: [
      tensor("x", (v) => r.transpose(v)),
      { arg: "transpose", call: (v) => r.transpose(m22(), v as number[]), bad: [[0, 0], [1.5, 0], [0], 5, "x", null] },
    ],
    randomNormal: [
      { arg: "shape", call: (v) => r.randomNormal(v as number[], { seed: 1 }), bad: NOT_SHAPE },
      extraKey((o) => r.randomNormal([1], { seed: 1, ...o })),
      { arg: "seed", call: (v) => r.randomNormal([1], { seed: v as number }), bad: [...NOT_SEED, undefined] },
      {
        arg: "options.stream",
        call: (v) => r.randomNormal([1], { seed: 1, stream: v as number }),
        bad: [-1, 2.5, 2 ** 32, NaN, "x"],
      },
      {
        arg: "std",
        call: (v) => r.randomNormal([1], { seed: 1, std: v as number }),
        bad: [NaN, Infinity, -1, 1e39, "x", null],
      },
    ],
    randomUniform: [
      { arg: "shape", call: (v) => r.randomUniform(v as number[], { seed: 1 }), bad: NOT_SHAPE },
      extraKey((o) => r.randomUniform([1], { seed: 1, ...o })),
      { arg: "seed", call: (v) => r.randomUniform([1], { seed: v as number }), bad: [...NOT_SEED, undefined] },
      {
        arg: "high",
        call: (v) => r.randomUniform([1], { seed: 1, high: v as number }),
        bad: [NaN, Infinity, 0, -1, "x", null, 1e39],
      },
    ],
    avgPool2d: [
      tensor("x", (v) => r.avgPool2d(v, 2)),
      { arg: "window", call: (v) => r.avgPool2d(img(), v as number), bad: NOT_COUNT },
      opts((o) => r.avgPool2d(img(), 1, o)),
    ],
    conv2d: [
      tensor("x", (v) => r.conv2d(v, r.full([1, 1, 1, 1], 1))),
      tensor("filters", (v) => r.conv2d(img(), v)),
      opts((o) => r.conv2d(img(), r.full([1, 1, 1, 1], 1), o)),
      {
        arg: "padding",
        call: (v) => r.conv2d(img(), r.full([1, 1, 1, 1], 1), { padding: v as Any }),
        bad: [[-1, 0, 0, 0], [0.5, 0, 0, 0], [0], "full", 5, null],
      },
      {
        arg: "bias",
        call: (v) => r.conv2d(img(), r.full([1, 1, 1, 2], 1), { bias: v as Any }),
        bad: [r.full([3], 0), r.full([1], 0), 5, "x", null, [1, 2]],
      },
    ],
    inputJacobian: [
      { arg: "f", call: (v) => r.inputJacobian(v as Any, T([1, 2], [1, 2])), bad: NOT_FUNCTION },
      tensor("x", (v) => r.inputJacobian((x) => x, v)),
      opts((o) => r.inputJacobian((x) => x, T([1, 2], [1, 2]), o)),
    ],
    svd: [tensor("a", (v) => r.svd(v)), opts((o) => r.svd(m22(), o))],
    svdvals: [
      tensor("a", (v) => r.svdvals(v)),
      opts((o) => r.svdvals(m22(), o)),
      {
        arg: "accuracy",
        call: (v) => r.svdvals(m22(), { accuracy: v as Any }),
        bad: [{ relative: "1e-3" }, { relative: 5 }, { relative: 0 }, { relative: NaN }, { fast: 1 }, 5, null],
      },
      { arg: "maxSweeps", call: (v) => r.svdvals(m22(), { maxSweeps: v as number }), bad: [0, -1, 2.5, NaN, "x"] },
      { arg: "options.polish", call: (v) => r.svdvals(m22(), { polish: v as boolean }), bad: NOT_BOOLEAN },
      { arg: "method", call: (v) => r.svdvals(m22(), { method: v as Any }), bad: ["qr", 5, null] },
    ],
    svdvalsBatched: [
      tensor("a", (v) => r.svdvalsBatched(v)),
      opts((o) => r.svdvalsBatched(m22().reshape([1, 2, 2]), o)),
    ],
    svdvalsHost: [
      {
        arg: "values",
        call: (v) => r.svdvalsHost(v as number[], 1, 1),
        bad: [5, null, undefined, ["x"], [NaN], [Infinity]],
      },
      { arg: "matrix", call: (v) => r.svdvalsHost([1, 2], v as number, 2), bad: [0, -1, 1.5, NaN, "x", null] },
    ],
    eigh: [tensor("a", (v) => r.eigh(v)), opts((o) => r.eigh(m22(), o))],
    eigvalsh: [tensor("a", (v) => r.eigvalsh(v)), opts((o) => r.eigvalsh(m22(), o))],
    eigvalshHost: [
      { arg: "values", call: (v) => r.eigvalshHost(v as number[], 1), bad: [5, null, undefined, ["x"], [NaN]] },
      { arg: "matrix", call: (v) => r.eigvalshHost([1, 0, 0, 1], v as number), bad: [0, -1, 1.5, NaN, 3, "x", null] },
    ],
    lstsq: [
      tensor("a", (v) => r.lstsq(v, T([1, 1], [2, 1]))),
      tensor("b", (v) => r.lstsq(m22(), v)),
      opts((o) => r.lstsq(m22(), T([1, 1], [2, 1]), o)),
      { arg: "ridge", call: (v) => r.lstsq(m22(), T([1, 1], [2, 1]), { ridge: v as number }), bad: NOT_NONNEGATIVE },
    ],
    Dense: [
      { arg: "inputs", call: (v) => new r.Dense(v as number, 2), bad: [...NOT_COUNT, undefined] },
      { arg: "outputs", call: (v) => new r.Dense(2, v as number), bad: [...NOT_COUNT, undefined] },
      opts((o) => new r.Dense(2, 2, o)),
      { arg: "options.biasStd", call: (v) => new r.Dense(2, 2, { biasStd: v as number }), bad: NOT_NONNEGATIVE },
      {
        arg: "options.init",
        call: (v) => new r.Dense(2, 2, { init: v as Any }),
        bad: ["kaiming", 5, null, { std: -1 }, { std: 1, scale: 2 }],
      },
      {
        arg: "options.parameterization",
        call: (v) => new r.Dense(2, 2, { parameterization: v as Any }),
        bad: ["mup", 5, null],
      },
      { arg: "options.seed", call: (v) => new r.Dense(2, 2, { seed: v as number }), bad: NOT_SEED },
    ],
    RFF: [
      { arg: "inputs", call: (v) => new r.RFF(v as number, 2, { scale: 1 }), bad: [...NOT_COUNT, undefined] },
      { arg: "features", call: (v) => new r.RFF(2, v as number, { scale: 1 }), bad: [...NOT_COUNT, undefined] },
      { arg: "option", call: (v) => new r.RFF(2, 2, v as Any), bad: [undefined, ...NOT_OPTIONS] },
      {
        arg: "options.scale",
        call: (v) => new r.RFF(2, 2, { scale: v as number }),
        bad: [...NOT_NONNEGATIVE, undefined],
      },
      {
        arg: "options.variant",
        call: (v) => new r.RFF(2, 2, { scale: 1, variant: v as Any }),
        bad: ["cosine", 5, null],
      },
    ],
    Conv2d: [
      { arg: "inputs", call: (v) => new r.Conv2d(v as number, 2, 3), bad: [...NOT_COUNT, undefined] },
      { arg: "outputs", call: (v) => new r.Conv2d(1, v as number, 3), bad: [...NOT_COUNT, undefined] },
      { arg: "kernel", call: (v) => new r.Conv2d(1, 2, v as number), bad: [...NOT_COUNT, undefined] },
      opts((o) => new r.Conv2d(1, 2, 3, o)),
      { arg: "options.stride", call: (v) => new r.Conv2d(1, 2, 3, { stride: v as number }), bad: NOT_COUNT },
      { arg: "options.padding", call: (v) => new r.Conv2d(1, 2, 3, { padding: v as Any }), bad: ["full", 5, null] },
    ],
    AvgPool2d: [{ arg: "size", call: (v) => new r.AvgPool2d(v as number), bad: [...NOT_COUNT, undefined] }],
    Flatten: [tensor("x", (v) => new r.Flatten().forward(v))],
    BatchNorm1d: [
      { arg: "features", call: (v) => new r.BatchNorm1d(v as number), bad: [...NOT_COUNT, undefined] },
      opts((o) => new r.BatchNorm1d(2, o)),
      {
        arg: "options.momentum",
        call: (v) => new r.BatchNorm1d(2, { momentum: v as number }),
        bad: [2, -1, NaN, "x", null],
      },
      {
        arg: "options.eps",
        call: (v) => new r.BatchNorm1d(2, { eps: v as number }),
        bad: [0, -1, NaN, Infinity, "x", null],
      },
      {
        arg: "input",
        call: (v) => new r.BatchNorm1d(2).forward(v as Any),
        bad: [r.full([2, 3], 1), r.full([2, 2, 1], 1), 5, null],
      },
    ],
    Residual: [{ arg: "inner", call: (v) => new r.Residual(v as Any), bad: NOT_LAYER }],
    Activation: [{
      arg: "activation",
      call: (v) => new r.Activation(v as Any),
      bad: ["toString", "constructor", "Relu", 5, null, undefined],
    }],
    Sequential: [
      { arg: "layers", call: (v) => new r.Sequential(v as Any), bad: [5, "x", null, undefined, {}, []] },
      { arg: "layers[0]", call: (v) => new r.Sequential([v as Any]), bad: NOT_LAYER },
    ],
    initWeights: [
      {
        arg: "shape",
        call: (v) => r.initWeights(v as number[], "he", { fanIn: 1, fanOut: 1, seed: 1 }),
        bad: NOT_SHAPE,
      },
      {
        arg: "scheme",
        call: (v) => r.initWeights([2], v as Any, { fanIn: 1, fanOut: 1, seed: 1 }),
        bad: ["kaiming", 5, null, undefined, { std: -1 }],
      },
      extraKey((o) => r.initWeights([2], "he", { fanIn: 1, fanOut: 1, seed: 1, ...o })),
      {
        arg: "options.fanIn",
        call: (v) => r.initWeights([2], "he", { fanIn: v as number, fanOut: 1, seed: 1 }),
        bad: [...NOT_COUNT, undefined],
      },
      {
        arg: "options.seed",
        call: (v) => r.initWeights([2], "he", { fanIn: 1, fanOut: 1, seed: v as number }),
        bad: [...NOT_SEED, undefined],
      },
    ],
    bceLoss: [tensor("prob", (v) => r.bceLoss(v, T([1]))), tensor("target", (v) => r.bceLoss(T([0.5]), v))],
    mseLoss: [tensor("pred", (v) => r.mseLoss(v, T([1]))), tensor("target", (v) => r.mseLoss(T([1]), v))],
    softmaxCrossEntropy: [
      tensor("logits", (v) => r.softmaxCrossEntropy(v, [0])),
      {
        arg: "labels",
        call: (v) => r.softmaxCrossEntropy(T([1, 2], [1, 2]), v as Any),
        bad: [[2], [-1], [0.5], [0, 1], 5, null, undefined],
      },
    ],
    Adam: [
      { arg: "option", call: (v) => new r.Adam(v as Any), bad: [undefined, ...NOT_OPTIONS] },
      { arg: "lr", call: (v) => new r.Adam({ lr: v as number }), bad: [...NOT_NONNEGATIVE, undefined] },
      { arg: "beta1", call: (v) => new r.Adam({ lr: 1, beta1: v as number }), bad: [1.5, -1, NaN, "x", null] },
    ],
    Sgd: [
      { arg: "option", call: (v) => new r.Sgd(v as Any), bad: [undefined, ...NOT_OPTIONS] },
      { arg: "lr", call: (v) => new r.Sgd({ lr: v as number }), bad: [...NOT_NONNEGATIVE, undefined] },
      { arg: "momentum", call: (v) => new r.Sgd({ lr: 1, momentum: v as number }), bad: [1.5, -1, NaN, "x", null] },
    ],
    mlp: [
      { arg: "widths", call: (v) => r.mlp(v as Any), bad: [5, "x", null, undefined, {}, [], [2]] },
      { arg: "widths[1]", call: (v) => r.mlp([2, v as number, 1]), bad: NOT_COUNT },
      opts((o) => r.mlp([2, 1], o)),
      { arg: "options.seed", call: (v) => r.mlp([2, 1], { seed: v as number }), bad: NOT_SEED },
      { arg: "options.batchNorm", call: (v) => r.mlp([2, 1], { batchNorm: v as boolean }), bad: NOT_BOOLEAN },
    ],
    accuracy: [
      { arg: "model", call: (v) => r.accuracy(v as Any, data()), bad: NOT_LAYER },
      { arg: "data", call: (v) => r.accuracy(model(), v as Any), bad: [5, "x", null, undefined, {}, []] },
      opts((o) => r.accuracy(model(), data(), o)),
      {
        arg: "options.threshold",
        call: (v) => r.accuracy(model(), data(), { threshold: v as number }),
        bad: [NaN, "x", null, {}],
      },
    ],
    saveState: [{ arg: "layer", call: (v) => r.saveState(v as Any), bad: NOT_LAYER }],
    loadWeights: [
      { arg: "model", call: (v) => r.loadWeights(v as Any, new Uint8Array(0)), bad: NOT_LAYER },
      { arg: "source", call: (v) => r.loadWeights(model(), v as Any), bad: [5, "x", null, undefined, {}, []] },
      opts((o) => r.loadWeights(model(), new Uint8Array(0), o)),
      {
        arg: "options.strict",
        call: (v) => r.loadWeights(model(), new Uint8Array(0), { strict: v as boolean }),
        bad: NOT_BOOLEAN,
      },
      {
        arg: "options.names",
        call: (v) => r.loadWeights(model(), new Uint8Array(0), { names: v as Any }),
        bad: [5, "x", [], { notAState: "a" }, { "0.weights": 5 }, { "0.weights": "" }],
      },
    ],
    saveWeights: [
      { arg: "model", call: (v) => r.saveWeights(v as Any), bad: NOT_LAYER },
      opts((o) => r.saveWeights(model(), o)),
      {
        arg: "options.metadata",
        call: (v) => r.saveWeights(model(), { metadata: v as Any }),
        bad: [5, "x", null, [], { a: 1 }],
      },
      {
        arg: "options.names",
        call: (v) => r.saveWeights(model(), { names: v as Any }),
        bad: [5, "x", [], { notAState: "a" }, { "0.weights": 5 }, { "0.weights": "" }],
      },
    ],
    parseSafetensors: [
      { arg: "bytes", call: (v) => r.parseSafetensors(v as Any), bad: [5, "x", null, undefined, {}, [], [1, 2]] },
      {
        arg: "safetensors",
        call: (v) => r.parseSafetensors(v as Any),
        bad: [
          new Uint8Array(0),
          new Uint8Array(3),
          new Uint8Array(8),
          new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0, 123, 125, 1]),
        ],
      },
    ],
    serializeSafetensors: [
      {
        arg: "tensor",
        call: (v) => r.serializeSafetensors(v as Any),
        bad: [
          5,
          "x",
          null,
          undefined,
          [],
          { "": { shape: [1], data: new Float32Array(1) } },
          {
            w: { shape: [2.5], data: new Float32Array(1) },
          },
          { w: { shape: [1], data: [1] } },
          { w: { shape: [2], data: new Float32Array(3) } },
          { w: 5 },
        ],
      },
      {
        arg: "metadata",
        call: (v) => r.serializeSafetensors({}, v as Any),
        bad: [5, "x", null, [], { a: 1 }],
      },
    ],
    LayerNorm: [
      { arg: "dim", call: (v) => new r.LayerNorm(v as number), bad: [...NOT_COUNT, undefined] },
      opts((o) => new r.LayerNorm(2, o)),
      {
        arg: "options.eps",
        call: (v) => new r.LayerNorm(2, { eps: v as number }),
        bad: [0, -1, NaN, Infinity, "x", null],
      },
      {
        arg: "options.elementwiseAffine",
        call: (v) => new r.LayerNorm(2, { elementwiseAffine: v as boolean }),
        bad: NOT_BOOLEAN,
      },
      {
        arg: "input",
        call: (v) => new r.LayerNorm(2).forward(v as Any),
        bad: [r.full([2, 3], 1), 5, null, undefined],
      },
    ],
    MultiHeadSelfAttention: [
      { arg: "dim", call: (v) => new r.MultiHeadSelfAttention(v as number, 1), bad: [...NOT_COUNT, undefined] },
      { arg: "heads", call: (v) => new r.MultiHeadSelfAttention(4, v as number), bad: [...NOT_COUNT, undefined, 3] },
      opts((o) => new r.MultiHeadSelfAttention(4, 2, o)),
      {
        arg: "options.causal",
        call: (v) => new r.MultiHeadSelfAttention(4, 2, { causal: v as boolean }),
        bad: NOT_BOOLEAN,
      },
      {
        arg: "options.bias",
        call: (v) => new r.MultiHeadSelfAttention(4, 2, { bias: v as boolean }),
        bad: NOT_BOOLEAN,
      },
      { arg: "options.seed", call: (v) => new r.MultiHeadSelfAttention(4, 2, { seed: v as number }), bad: NOT_SEED },
      {
        arg: "options.stream",
        call: (v) => new r.MultiHeadSelfAttention(4, 2, { stream: v as number }),
        bad: [-1, 2.5, NaN, "x", null],
      },
      {
        arg: "input",
        call: (v) => new r.MultiHeadSelfAttention(4, 2).forward(v as Any),
        bad: [r.full([2, 4], 1), r.full([1, 2, 3], 1), 5, null, undefined],
      },
    ],
    TransformerBlock: [
      { arg: "dim", call: (v) => new r.TransformerBlock(v as number, 1), bad: [...NOT_COUNT, undefined] },
      { arg: "heads", call: (v) => new r.TransformerBlock(4, v as number), bad: [...NOT_COUNT, undefined, 3] },
      opts((o) => new r.TransformerBlock(4, 2, o)),
      {
        arg: "options.mlpRatio",
        call: (v) => new r.TransformerBlock(4, 2, { mlpRatio: v as number }),
        bad: [0, -1, NaN, Infinity, 0.3, "x", null],
      },
      { arg: "options.causal", call: (v) => new r.TransformerBlock(4, 2, { causal: v as boolean }), bad: NOT_BOOLEAN },
      {
        arg: "options.activation",
        call: (v) => new r.TransformerBlock(4, 2, { activation: v as Any }),
        bad: ["toString", "Gelu", 5, null],
      },
      { arg: "options.seed", call: (v) => new r.TransformerBlock(4, 2, { seed: v as number }), bad: NOT_SEED },
      {
        arg: "options.stream",
        call: (v) => new r.TransformerBlock(4, 2, { stream: v as number }),
        bad: [-1, 2.5, NaN, "x", null],
      },
      {
        arg: "input",
        call: (v) => new r.TransformerBlock(4, 2).forward(v as Any),
        bad: [r.full([2, 4], 1), seq().reshape([1, 4, 2]), 5, null, undefined],
      },
    ],
    Embedding: [
      { arg: "vocab", call: (v) => new r.Embedding(v as number, 2), bad: [...NOT_COUNT, undefined, 2 ** 24 + 1] },
      { arg: "dim", call: (v) => new r.Embedding(3, v as number), bad: [...NOT_COUNT, undefined] },
      opts((o) => new r.Embedding(3, 2, o)),
      { arg: "options.seed", call: (v) => new r.Embedding(3, 2, { seed: v as number }), bad: NOT_SEED },
      {
        arg: "options.stream",
        call: (v) => new r.Embedding(3, 2, { stream: v as number }),
        bad: [-1, 2.5, 2 ** 31, NaN, "x", null],
      },
      { arg: "options.std", call: (v) => new r.Embedding(3, 2, { std: v as number }), bad: NOT_NONNEGATIVE },
      {
        arg: "ids",
        call: (v) => new r.Embedding(3, 2).forward(v as Any),
        bad: [new Int32Array([3]), new Int32Array([-1]), new Int32Array(0), r.full([], 0), 5, "x", null, [0, 1]],
      },
    ],
    Dropout: [
      { arg: "p", call: (v) => new r.Dropout(v as number), bad: [1, 1.5, -1, NaN, Infinity, "x", null, undefined] },
      opts((o) => new r.Dropout(0.5, o)),
      { arg: "options.seed", call: (v) => new r.Dropout(0.5, { seed: v as number }), bad: NOT_SEED },
      { arg: "x", call: (v) => new r.Dropout(0.5).forward(v as Any), bad: [5, "x", null, undefined, [], {}] },
      { arg: "mode", call: (v) => new r.Dropout(0.5).forward(seq(), v as Any), bad: ["test", 5, null] },
    ],
    MaxPool2d: [
      { arg: "size", call: (v) => new r.MaxPool2d(v as number), bad: [...NOT_COUNT, undefined] },
      opts((o) => new r.MaxPool2d(2, o)),
      { arg: "options.stride", call: (v) => new r.MaxPool2d(2, { stride: v as number }), bad: NOT_COUNT },
      {
        arg: "input",
        call: (v) => new r.MaxPool2d(2).forward(v as Any),
        bad: [r.full([3, 3, 1], 1), 5, null, undefined],
      },
      { arg: "window", call: (v) => new r.MaxPool2d(4).forward(v as Any), bad: [img()] },
    ],
    fit: [
      {
        arg: "model",
        call: (v) => r.fit(v as Any, data(), { loss: r.mseLoss, optimizer: new r.Sgd({ lr: 1 }) }),
        bad: NOT_LAYER,
      },
      {
        arg: "data",
        call: (v) => r.fit(new r.Dense(2, 1), v as Any, { loss: r.mseLoss, optimizer: new r.Sgd({ lr: 1 }) }),
        bad: [5, "x", null, undefined, {}, []],
      },
      { arg: "option", call: (v) => r.fit(new r.Dense(2, 1), data(), v as Any), bad: [undefined, ...NOT_OPTIONS] },
      { arg: "options.optimizer", call: (v) => fit({ optimizer: v }), bad: [undefined, 5, {}, null] },
      { arg: "options.loss", call: (v) => fit({ loss: v }), bad: [undefined, 5, {}, null] },
      { arg: "epochs", call: (v) => fit({ epochs: v }), bad: [-1, 2.5, NaN, "x", null] },
      { arg: "batchSize", call: (v) => fit({ batchSize: v }), bad: NOT_COUNT },
      { arg: "options.order", call: (v) => fit({ order: v }), bad: [5, "x", null, {}] },
      {
        arg: "options.earlyStopping",
        call: (v) => fit({ earlyStopping: v }),
        bad: [{ patience: -1 }, { patience: 2.5 }, { minDelta: -1 }, { wait: 2 }, 5],
      },
    ],
    effectiveRank: [{
      arg: "spectral entropy",
      call: (v) => r.effectiveRank(v as number[]),
      bad: [...NOT_FINITE_NUMBERS, [-1], T([1])],
    }],
    spectralEntropy: [{
      arg: "spectral entropy",
      call: (v) => r.spectralEntropy(v as number[]),
      bad: [...NOT_FINITE_NUMBERS, [-1], []],
    }],
    sRank: [tensor("features", (v) => r.sRank(v))],
    deltaRank: [
      { arg: "delta-rank", call: (v) => r.deltaRank(v as number[]), bad: [...NOT_FINITE_NUMBERS, [-1]] },
      { arg: "delta", call: (v) => r.deltaRank([1], v as number), bad: [1, 2, -1, NaN, "x", null] },
    ],
    vonNeumannEntropy: [
      {
        arg: "kernel",
        call: (v) => r.vonNeumannEntropy(v as Any),
        bad: [5, "x", null, undefined, {}, [], [1, 2], [NaN], [1, 2, 3, 4], [0]],
      },
      opts((o) => r.vonNeumannEntropy([1], o)),
      {
        arg: "options.relativeFloor",
        call: (v) => r.vonNeumannEntropy([1], { relativeFloor: v as number }),
        bad: [1, -1, NaN, "x", null],
      },
      { arg: "options.cosine", call: (v) => r.vonNeumannEntropy([1], { cosine: v as boolean }), bad: NOT_BOOLEAN },
    ],
    epsilonRank: [
      tensor("features", (v) => r.epsilonRank(v, { x: [0, 1] })),
      { arg: "option", call: (v) => r.epsilonRank(r.full([2, 1], 1), v as Any), bad: [undefined, ...NOT_OPTIONS] },
      {
        arg: "options.x",
        call: (v) => r.epsilonRank(r.full([2, 1], 1), { x: v as number[] }),
        bad: [[0], [0, 1, 2], [1, 0], "x", 5],
      },
      {
        arg: "weights",
        call: (v) => r.epsilonRank(r.full([2, 1], 1), { weights: v as number[] }),
        bad: [[-1, 1], [1], [NaN, 1], "x"],
      },
      {
        arg: "options.epsilon",
        call: (v) => r.epsilonRank(r.full([2, 1], 1), { x: [0, 1], epsilon: v as number }),
        bad: [0, -1, NaN, "x", null],
      },
    ],
    hiddenEpsilonRanks: [
      { arg: "model", call: (v) => r.hiddenEpsilonRanks(v as Any, r.full([2, 2], 1), { x: [0, 1] }), bad: NOT_LAYER },
      tensor("x", (v) => r.hiddenEpsilonRanks(model(), v, { x: [0, 1] })),
      extraKey((o) => r.hiddenEpsilonRanks(model(), r.full([2, 2], 1), { x: [0, 1], ...o })),
    ],
    empiricalNtk: [
      { arg: "model", call: (v) => r.empiricalNtk(v as Any, r.full([2, 2], 1)), bad: NOT_LAYER },
      tensor("x", (v) => r.empiricalNtk(model(), v)),
      opts((o) => r.empiricalNtk(model(), r.full([2, 2], 1), o)),
      {
        arg: "options.mode",
        call: (v) => r.empiricalNtk(model(), r.full([2, 2], 1), { mode: v as Any }),
        bad: ["diag", 5, null],
      },
      {
        arg: "chunk",
        call: (v) => r.empiricalNtk(model(), r.full([2, 2], 1), { chunk: v as number }),
        bad: [0, -1, 2.5, NaN, "x"],
      },
    ],
    empiricalNtkHost: [
      { arg: "model", call: (v) => r.empiricalNtkHost(v as Any, r.full([2, 2], 1)), bad: NOT_LAYER },
      tensor("x", (v) => r.empiricalNtkHost(model(), v)),
      opts((o) => r.empiricalNtkHost(model(), r.full([2, 2], 1), o)),
    ],
    empiricalNtkLayers: [
      { arg: "model", call: (v) => r.empiricalNtkLayers(v as Any, r.full([2, 2], 1)), bad: NOT_LAYER },
      tensor("x", (v) => r.empiricalNtkLayers(model(), v)),
      {
        arg: "layers",
        call: (v) => r.empiricalNtkLayers(model(), r.full([2, 2], 1), { layers: v as number[] }),
        bad: [[], [5], [-1], [0.5], [0, 0], "0", [NaN]],
      },
      opts((o) => r.empiricalNtkLayers(model(), r.full([2, 2], 1), o)),
    ],
    infiniteNtk: [
      {
        arg: "architecture",
        call: (v) => r.infiniteNtk(v as Any, [1, 2], [1, 2]),
        bad: [5, "x", null, undefined, {}, [{ kind: "lstm" }], [{ kind: "dense", weightStd: -1, biasStd: 0 }]],
      },
      {
        arg: "x",
        call: (v) => r.infiniteNtk(dense, v as number[], [1, 2]),
        bad: [5, null, undefined, [1, NaN], [1, "x"]],
      },
      {
        arg: "shape",
        call: (v) => r.infiniteNtk(dense, [1, 2], v as number[]),
        bad: [[2, 1.5], [0, 2], [1, 3], 5, null],
      },
      opts((o) => r.infiniteNtk(dense, [1, 2], [1, 2], o)),
    ],
    infiniteNtkGpu: [
      {
        arg: "architecture",
        call: (v) => r.infiniteNtkGpu(v as Any, [1, 2], [1, 2]),
        bad: [5, "x", null, undefined, {}],
      },
      { arg: "x", call: (v) => r.infiniteNtkGpu(dense, v as number[], [1, 2]), bad: [5, null, [1, NaN]] },
      opts((o) => r.infiniteNtkGpu(dense, [1, 2], [1, 2], o)),
      {
        arg: "batch",
        call: (v) => r.infiniteNtkGpu(dense, [1, 2], [1, 2], { batch: v as number }),
        bad: [0, -1, 2.5, NaN, "x"],
      },
    ],
    inputJacobianSpectra: [
      { arg: "f", call: (v) => r.inputJacobianSpectra(v as Any, r.full([1, 2], 1)), bad: NOT_FUNCTION },
      tensor("points", (v) => r.inputJacobianSpectra((x) => x, v)),
      opts((o) => r.inputJacobianSpectra((x) => x, r.full([1, 2], 1), o)),
    ],
    weightSpectra: [
      { arg: "model", call: (v) => r.weightSpectra(v as Any), bad: NOT_LAYER },
      opts((o) => r.weightSpectra(model(), o)),
    ],
    fitPowerLaw: [
      { arg: "values", call: (v) => r.fitPowerLaw(v as Any), bad: [5, null, undefined, {}] },
      opts((o) => r.fitPowerLaw(pareto(), o)),
      {
        arg: "options.minTail",
        call: (v) => r.fitPowerLaw(pareto(), { minTail: v as number }),
        bad: [1, 0, -1, 2.5, NaN, "x", null],
      },
      { arg: "minTail", call: (v) => r.fitPowerLaw(pareto(), { minTail: v as number }), bad: [1000] },
      {
        arg: "options.xmin",
        call: (v) => r.fitPowerLaw(pareto(), { xmin: v as number }),
        bad: [0, -1, NaN, "x", null, 1e9],
      },
    ],
    esdPlot: [
      { arg: "option", call: (v) => r.esdPlot(v as Any), bad: [undefined, ...NOT_OPTIONS] },
      {
        arg: "options.layers",
        call: (v) => r.esdPlot({ layers: v as Any }),
        bad: [5, "x", null, undefined, [], [5], [{ name: 5, eigenvalues: [1] }], [{ name: "a", eigenvalues: 5 }]],
      },
      { arg: "options.bins", call: (v) => r.esdPlot({ layers: esd(), bins: v as number }), bad: NOT_COUNT },
      { arg: "options.columns", call: (v) => r.esdPlot({ layers: esd(), columns: v as number }), bad: NOT_COUNT },
      {
        arg: "options.width",
        call: (v) => r.esdPlot({ layers: esd(), width: v as number }),
        bad: [0, -1, 50, NaN, "x", null],
      },
      { arg: "options.title", call: (v) => r.esdPlot({ layers: esd(), title: v as string }), bad: [5, {}, null] },
    ],
    ensemblePreactivations: [
      {
        arg: "x",
        call: (v) => r.ensemblePreactivations(v as number[], { nets: 2, widths: [2], weightVariance: 1, seed: 0 }),
        bad: [5, null, undefined, [], [NaN]],
      },
      { arg: "option", call: (v) => r.ensemblePreactivations([1], v as Any), bad: [undefined, ...NOT_OPTIONS] },
      {
        arg: "options.nets",
        call: (v) => r.ensemblePreactivations([1], { nets: v as number, widths: [2], weightVariance: 1, seed: 0 }),
        bad: [...NOT_COUNT, undefined],
      },
      {
        arg: "options.widths",
        call: (v) => r.ensemblePreactivations([1], { nets: 2, widths: v as number[], weightVariance: 1, seed: 0 }),
        bad: [[], [0], [2.5], 5, null, undefined],
      },
      {
        arg: "options.weightVariance",
        call: (v) => r.ensemblePreactivations([1], { nets: 2, widths: [2], weightVariance: v as number, seed: 0 }),
        bad: [...NOT_NONNEGATIVE, undefined],
      },
      {
        arg: "options.scaling",
        call: (v) =>
          r.ensemblePreactivations([1], { nets: 2, widths: [2], weightVariance: 1, seed: 0, scaling: v as Any }),
        bad: ["fanout", 5, null],
      },
    ],
    connectedFourPoint: [
      {
        arg: "samples",
        call: (v) => r.connectedFourPoint(v as number[], 1),
        bad: [5, null, undefined, [NaN, 1], [1, "x"]],
      },
      {
        arg: "neurons",
        call: (v) => r.connectedFourPoint([1, 2, 3, 4], v as number),
        bad: [...NOT_COUNT, undefined, 3],
      },
    ],
    ensembleMoments: [
      { arg: "samples", call: (v) => r.ensembleMoments(v as number[], 1), bad: [5, null, undefined, [NaN, 1]] },
      { arg: "neurons", call: (v) => r.ensembleMoments([1, 2, 3, 4], v as number), bad: [...NOT_COUNT, undefined, 3] },
    ],
    excessKurtosis: [
      {
        arg: "samples",
        call: (v) => r.excessKurtosis(v as number[], 1),
        bad: [5, null, undefined, [NaN, 1], Array(10).fill(0.1)],
      },
      { arg: "neurons", call: (v) => r.excessKurtosis([1, 2, 3, 4], v as number), bad: [...NOT_COUNT, undefined] },
      opts((o) => r.excessKurtosis([1, 2, 3, 4], 1, o)),
      {
        arg: "options.groups",
        call: (v) => r.excessKurtosis([1, 2, 3, 4], 1, { groups: v as number }),
        bad: [1, 2.5, -1, NaN, "x", null],
      },
    ],
    hotellingT2: [
      { arg: "samples", call: (v) => r.hotellingT2(v as number[], 1), bad: [5, null, undefined, [NaN, 1, 2]] },
      { arg: "dimension", call: (v) => r.hotellingT2([1, 2, 4, 3, 5, 9], v as number), bad: [...NOT_COUNT, undefined] },
      { arg: "mu0", call: (v) => r.hotellingT2([1, 2, 4, 3, 5, 9], 1, v as number[]), bad: [[0, 0], [], 5, null] },
    ],
    Figure: [
      {
        arg: "width",
        call: (v) => new r.Figure(v as number, 10, ""),
        bad: [0, -1, NaN, Infinity, "x", null, undefined],
      },
      { arg: "height", call: (v) => new r.Figure(10, v as number, ""), bad: [0, -1, NaN, "x", null, undefined] },
      { arg: "content", call: (v) => new r.Figure(10, 10, v as string), bad: NOT_STRING },
    ],
    linePlot: [
      { arg: "option", call: (v) => r.linePlot(v as Any), bad: [undefined, ...NOT_OPTIONS] },
      {
        arg: "xScale",
        call: (v) => r.linePlot({ series: [{ x: [0, 1], y: [1, 2] }], xScale: v as Any }),
        bad: ["ln", 5, null],
      },
      {
        arg: "width",
        call: (v) => r.linePlot({ series: [{ x: [0, 1], y: [1, 2] }], width: v as number }),
        bad: [0, -1, 50, NaN, "x", null],
      },
      {
        arg: "title",
        call: (v) => r.linePlot({ series: [{ x: [0, 1], y: [1, 2] }], title: v as string }),
        bad: [5, {}, null],
      },
    ],
    scatterPlot: [
      { arg: "option", call: (v) => r.scatterPlot(v as Any), bad: [undefined, ...NOT_OPTIONS] },
      { arg: "x", call: (v) => r.scatterPlot({ x: v as number[], y: [1] }), bad: [5, null, undefined, [1, 2]] },
    ],
    heatmap: [{ arg: "option", call: (v) => r.heatmap(v as Any), bad: [undefined, ...NOT_OPTIONS] }],
    histogram: [
      { arg: "option", call: (v) => r.histogram(v as Any), bad: [undefined, ...NOT_OPTIONS] },
      { arg: "values", call: (v) => r.histogram({ values: v as number[] }), bad: [5, null, undefined, "x"] },
      { arg: "bins", call: (v) => r.histogram({ values: [1, 2], bins: v as number }), bad: NOT_COUNT },
    ],
    imageGrid: [
      { arg: "option", call: (v) => r.imageGrid(v as Any), bad: [undefined, ...NOT_OPTIONS] },
      {
        arg: "image",
        call: (v) => r.imageGrid({ images: v as Float32Array[], imageWidth: 2, imageHeight: 2 }),
        bad: [[], 5, null, undefined, [new Float32Array(3)]],
      },
    ],
    subplots: [
      { arg: "option", call: (v) => r.subplots(v as Any), bad: [undefined, ...NOT_OPTIONS] },
      { arg: "panels", call: (v) => r.subplots({ panels: v as r.Figure[] }), bad: [5, null, undefined, [], [5]] },
    ],
    columnMoments: [
      { arg: "x", call: (v) => r.columnMoments(v as Float32Array, 1), bad: [5, null, undefined, new Float32Array(0)] },
      {
        arg: "width",
        call: (v) => r.columnMoments(new Float32Array(4), v as number),
        bad: [...NOT_COUNT, undefined, 3],
      },
    ],
    concentricCircles: [
      opts((o) => r.concentricCircles(o)),
      { arg: "options.n", call: (v) => r.concentricCircles({ n: v as number }), bad: [...NOT_COUNT, 1] },
      {
        arg: "options.factor",
        call: (v) => r.concentricCircles({ factor: v as number }),
        bad: [0, 1, 1.5, NaN, "x", null],
      },
      { arg: "options.noise", call: (v) => r.concentricCircles({ noise: v as number }), bad: NOT_NONNEGATIVE },
    ],
    standardize: [
      {
        arg: "standardize",
        call: (v) => r.standardize(new Float32Array(4), v as Any),
        bad: [5, null, undefined, { mean: [0], std: [1, 1] }, { mean: [0, 0], std: [0, 1] }, {
          mean: [NaN, 0],
          std: [1, 1],
        }],
      },
    ],
    trainTestSplit: [
      {
        arg: "split",
        call: (v) => r.trainTestSplit(v as Float32Array, new Float32Array(2), { width: 2 }),
        bad: [new Float32Array(3), new Float32Array(0)],
      },
      extraKey((o) => r.trainTestSplit(new Float32Array(20), new Float32Array(10), { width: 2, ...o })),
      {
        arg: "options.width",
        call: (v) => r.trainTestSplit(new Float32Array(4), new Float32Array(2), { width: v as number }),
        bad: [...NOT_COUNT, undefined],
      },
      {
        arg: "testFraction",
        call: (v) =>
          r.trainTestSplit(new Float32Array(20), new Float32Array(10), { width: 2, testFraction: v as number }),
        bad: [0, 1, -1, NaN, "x", 0.01],
      },
    ],
    xorPoints: [
      opts((o) => r.xorPoints(o)),
      { arg: "options.n", call: (v) => r.xorPoints({ n: v as number }), bad: NOT_COUNT },
      { arg: "options.layout", call: (v) => r.xorPoints({ layout: v as Any }), bad: ["blob", 5, null] },
      { arg: "options.seed", call: (v) => r.xorPoints({ seed: v as number }), bad: NOT_SEED },
    ],
    grid1d: [
      { arg: "f", call: (v) => r.grid1d(v as Any), bad: NOT_FUNCTION },
      opts((o) => r.grid1d((x) => x, o)),
      { arg: "options.n", call: (v) => r.grid1d((x) => x, { n: v as number }), bad: [...NOT_COUNT, 1] },
      {
        arg: "options.domain",
        call: (v) => r.grid1d((x) => x, { domain: v as Any }),
        bad: [[1, 0], [0, Infinity], [0], 5, null],
      },
    ],
    grid2d: [
      { arg: "f", call: (v) => r.grid2d(v as Any), bad: NOT_FUNCTION },
      opts((o) => r.grid2d((x) => x, o)),
      { arg: "options.nx", call: (v) => r.grid2d((x) => x, { nx: v as number }), bad: [...NOT_COUNT, 1] },
      {
        arg: "options.yDomain",
        call: (v) => r.grid2d((x) => x, { yDomain: v as Any }),
        bad: [[1, 0], [NaN, 1], 5, null],
      },
    ],
    poissonProblem: [
      opts((o) => r.poissonProblem(o)),
      { arg: "options.interior", call: (v) => r.poissonProblem({ interior: v as number }), bad: NOT_COUNT },
      { arg: "options.boundary", call: (v) => r.poissonProblem({ boundary: v as number }), bad: NOT_COUNT },
    ],
    cka: [
      tensor("x", (v) => r.cka(v, r.full([4, 2], 1))),
      tensor("y", (v) => r.cka(feat(), v)),
      { arg: "rows must match", call: (v) => r.cka(feat(), v as Any), bad: [r.full([5, 2], 1)] },
      opts((o) => r.cka(feat(), feat(), o)),
      { arg: "options.kernel", call: (v) => r.cka(feat(), feat(), { kernel: v as Any }), bad: ["RBF", 5, true] },
      { arg: "options.debiased", call: (v) => r.cka(feat(), feat(), { debiased: v as Any }), bad: NOT_BOOLEAN },
      {
        arg: "options.bandwidth",
        call: (v) => r.cka(feat(), feat(), { kernel: "rbf", bandwidth: v as number }),
        bad: [0, -1, NaN, Infinity, "x"],
      },
    ],
    kernelAlignment: [
      tensor("k", (v) => r.kernelAlignment(v, [0, 1])),
      {
        arg: "target",
        call: (v) => r.kernelAlignment(m22(), v as Any),
        bad: [5, null, undefined, {}, [0], [0, 0.5], [0, NaN], r.full([3, 2], 1)],
      },
      opts((o) => r.kernelAlignment(m22(), [0, 1], o)),
      {
        arg: "options.centered",
        call: (v) => r.kernelAlignment(m22(), [0, 1], { centered: v as Any }),
        bad: NOT_BOOLEAN,
      },
      {
        arg: "options.targetKind",
        call: (v) => r.kernelAlignment(m22(), m22(), { targetKind: v as Any }),
        bad: ["label", 5, null],
      },
    ],
    MinibatchCka: [
      tensor("x", (v) => new r.MinibatchCka().add(v, feat())),
      tensor("y", (v) => new r.MinibatchCka().add(feat(), v)),
      { arg: "examples", call: (v) => new r.MinibatchCka().add(v as Any, v as Any), bad: [r.full([3, 2], 1)] },
    ],
    ...Object.fromEntries((["hessianTopEigenvalues", "hessianTrace", "hessianDensity"] as const).map((name) => {
      const f = r[name] as (m: Any, l: Any, b: Any, o?: Any) => unknown;
      const y = () => T([1, 0, 1, 0], [4, 1]);
      return [name, [
        { arg: "model", call: (v) => f(v, r.mseLoss, { x: feat(), y: y() }), bad: NOT_LAYER },
        { arg: "loss", call: (v) => f(new r.Dense(2, 1), v, { x: feat(), y: y() }), bad: [5, "x", null, {}] },
        { arg: "batch", call: (v) => f(new r.Dense(2, 1), r.mseLoss, v), bad: [5, "x", null, undefined, []] },
        tensor("x", (v) => f(new r.Dense(2, 1), r.mseLoss, { x: v, y: y() })),
        opts((o) => f(new r.Dense(2, 1), r.mseLoss, { x: feat(), y: y() }, o)),
        {
          arg: "options.matrix",
          call: (v) => f(new r.Dense(2, 1), r.mseLoss, { x: feat(), y: y() }, { matrix: v }),
          bad: ["hesian", 5, null],
        },
        {
          arg: "options.chunkSize",
          call: (v) => f(new r.Dense(2, 1), r.mseLoss, { x: feat(), y: y() }, { chunkSize: v }),
          bad: NOT_COUNT,
        },
      ] as Slot[]];
    })),
    spectralDensityPlot: [
      { arg: "option", call: (v) => r.spectralDensityPlot(v as Any), bad: [undefined, ...NOT_OPTIONS] },
      { arg: "options.series", call: (v) => r.spectralDensityPlot({ series: v as Any }), bad: [[], 5, null, "x"] },
      {
        arg: "options.series[0].density",
        call: (v) => r.spectralDensityPlot({ series: [{ label: "a", grid: [0, 1], density: v as Any }] }),
        bad: [[1], [-1, 1], [NaN, 1], 5, null],
      },
      {
        arg: "options.floor",
        call: (v) =>
          r.spectralDensityPlot({ series: [{ label: "a", grid: [0, 1], density: [1, 2] }], floor: v as number }),
        bad: [0, 1, -1, NaN, "x"],
      },
    ],
    agop: [
      { arg: "model", call: (v) => r.agop(v as Any, feat()), bad: NOT_LAYER },
      tensor("inputs", (v) => r.agop(new r.Dense(2, 1), v)),
      opts((o) => r.agop(new r.Dense(2, 1), feat(), o)),
      { arg: "options.chunk", call: (v) => r.agop(new r.Dense(2, 1), feat(), { chunk: v as number }), bad: NOT_COUNT },
      {
        arg: "options.power",
        call: (v) => r.agop(new r.Dense(2, 1), feat(), { power: v as number }),
        bad: [0, -1, NaN, Infinity, "x"],
      },
    ],
    track: [
      { arg: "model", call: (v) => r.track(v as Any, { inputs: feat(), measures: ["rankMe"] }), bad: NOT_LAYER },
      { arg: "option", call: (v) => r.track(model(), v as Any), bad: [undefined, ...NOT_OPTIONS] },
      {
        arg: "options.inputs",
        call: (v) => r.track(model(), { inputs: v as Any, measures: ["rankMe"] }),
        bad: NOT_TENSOR,
      },
      {
        arg: "options.measures",
        call: (v) => r.track(model(), { inputs: feat(), measures: v as Any }),
        bad: [5, "x", null, undefined, [], [5], ["rankme"], ["toString"], [{ name: 5 }], [{ name: "m", fn: 5 }]],
      },
      {
        arg: "options.layers",
        call: (v) => r.track(model(), { inputs: feat(), measures: ["rankMe"], layers: v as Any }),
        bad: [[-1], [4], [1.5], [NaN], ["x"], 5, "x"],
      },
      {
        arg: "options.targets",
        call: (v) => r.track(model(), { inputs: feat(), measures: ["ntkAlignment"], targets: v as Any }),
        bad: [undefined],
      },
    ],
    Tracker: [{ arg: "option", call: (v) => new r.Tracker(model(), v as Any), bad: [undefined, ...NOT_OPTIONS] }, {
      arg: "step",
      call: (v) => r.track(model(), { inputs: T([1, 2, 3, 4], [2, 2]), measures: ["rankMe"] }).record(v as number),
      bad: [NaN, Infinity, "x", null, undefined],
    }],
    measuresPlot: [
      {
        arg: "rows",
        call: (v) => r.measuresPlot(v as Any),
        bad: [5, "x", null, undefined, {}, [], [5], [{ step: 1 }]],
      },
      opts((o) => r.measuresPlot([{ step: 0, layer: 1, measure: "m", value: 1 }], o)),
    ],
    rankMe: [tensor("z", (v) => r.rankMe(v)), { arg: "z", call: (v) => r.rankMe(v as Any), bad: [r.full([2, 2], 0)] }],
    stableRank: [tensor("a", (v) => r.stableRank(v)), {
      arg: "a",
      call: (v) => r.stableRank(v as Any),
      bad: [r.full([2], 1), T([1, NaN], [1, 2])],
    }],
    alphaReq: [
      tensor("z", (v) => r.alphaReq(v)),
      opts((o) => r.alphaReq(feat(), o)),
      {
        arg: "options.range",
        call: (v) => r.alphaReq(feat(), { range: v as Any }),
        bad: [[1], [0, 3], [1, 2], [1, 9], [1.5, 3], "x", 5],
      },
    ],
    sineSumTarget: [
      opts((o) => r.sineSumTarget(o)),
      { arg: "options.frequencies", call: (v) => r.sineSumTarget({ frequencies: v as number }), bad: NOT_COUNT },
      { arg: "options.phase", call: (v) => r.sineSumTarget({ phase: v as Any }), bad: ["random", 5, null] },
      { arg: "options.seed", call: (v) => r.sineSumTarget({ seed: v as number }), bad: NOT_SEED },
    ],
  };
}

/** Runs a call and returns what it threw (awaiting a returned promise), or undefined. */
async function thrown(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (e) {
    return e;
  }
  return undefined;
}

Deno.test("every root export refuses bad arguments of every kind with a TypeError or RangeError naming the argument", async (t) => {
  await r.initGpu();
  const SLOTS = buildSlots();
  const symbols = await rootSymbols();
  const callable = symbols.filter((s) => s.declarations.some((d) => d.kind === "function" || d.kind === "class"));
  const names = callable.map((s) => s.name);
  assert.ok(names.length >= 100, `only ${names.length} functions and classes found`);
  const missing = names.filter((n) => !(n in SLOTS));
  assert.deepEqual(missing, [], "root functions and classes with no entry in SLOTS");
  const stale = Object.keys(SLOTS).filter((n) => !names.includes(n) && n !== "Tensor.fromArray");
  assert.deepEqual(stale, [], "entries in SLOTS that are not root exports");
  let probes = 0;
  const failures: string[] = [];
  for (const [name, slots] of Object.entries(SLOTS)) {
    await t.step(name, async () => {
      for (const slot of slots) {
        for (const value of slot.bad) {
          probes++;
          const e = await thrown(() => slot.call(value));
          const shown = typeof value === "string"
            ? JSON.stringify(value)
            : Array.isArray(value)
            ? `[${value}]`
            : String(value);
          if (!(e instanceof TypeError || e instanceof RangeError)) {
            failures.push(`${name}(${slot.arg} = ${shown}): ${e === undefined ? "accepted" : String(e)}`);
          } else if (!e.message.includes(slot.arg)) {
            failures.push(`${name}(${slot.arg} = ${shown}): the message does not name ${slot.arg}: ${e.message}`);
          }
        }
      }
    });
  }
  assert.ok(failures.length === 0, `${failures.length} of ${probes} probes failed:\n${failures.join("\n")}`);
  assert.ok(probes > 800, `${probes} probes`);
});
