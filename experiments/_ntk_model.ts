/**
 * The NTK-entropy experiment's model and measurements (see ./ntk_entropy.ts): the CNN, its test loss and
 * accuracy, its empirical NTK and the von Neumann entropies of the kernel's leading blocks.
 *
 * @module
 */
import {
  Activation,
  AvgPool2d,
  concat,
  Conv2d,
  Dense,
  empiricalNtkHost,
  Flatten,
  Sequential,
  softmaxCrossEntropy,
  Tensor,
  tidy,
  vonNeumannEntropy,
} from "../mod.ts";
import { type ImageSet, MNIST_CLASSES, sliceImages } from "../data/mod.ts";
import type { Entropies } from "./_ntk_types.ts";

/** The CNN of both studies, seeded: He init and zero biases, or the NTK parameterization (σ_w = 1, no bias). */
export function buildCnn(modelSeed: number, parameterization: "standard" | "ntk" = "standard"): Sequential {
  const weights = (stream: number) =>
    parameterization === "ntk"
      ? { seed: modelSeed, stream, parameterization, weightStd: 1, bias: false } as const
      : { seed: modelSeed, stream };
  return new Sequential([
    new Conv2d(1, 32, 3, weights(0)),
    new Activation("relu"),
    new AvgPool2d(2),
    new Conv2d(32, 64, 3, weights(1)),
    new Activation("relu"),
    new AvgPool2d(2),
    new Flatten(),
    new Dense(1600, 256, weights(2)),
    new Activation("relu"),
    new Dense(256, 10, weights(3)),
  ]);
}

/** The images of a set as one tensor (N x 1 x 28 x 28). */
export const imagesTensor = (set: ImageSet) => Tensor.fromArray(set.x, set.shape);

/** Test loss (the library's softmax cross-entropy) and accuracy, in chunks of 250 images. */
export async function evaluate(model: Sequential, set: ImageSet): Promise<{ loss: number; accuracy: number }> {
  const n = set.labels.length, chunk = 250;
  let loss = 0, correct = 0;
  for (let start = 0; start < n; start += chunk) {
    const part = sliceImages(set, start, Math.min(chunk, n - start));
    const count = part.labels.length;
    // Logits and the mean loss in one tensor: one read-back per chunk.
    const both = tidy(() => {
      const z = model.forward(imagesTensor(part), "eval");
      return concat([z.reshape([count * MNIST_CLASSES]), softmaxCrossEntropy(z, part.labels).reshape([1])], 0);
    });
    const values = await both.toArray();
    both.dispose();
    const z = values.subarray(0, count * MNIST_CLASSES);
    loss += values[count * MNIST_CLASSES] * count;
    for (let i = 0; i < count; i++) {
      const row = z.subarray(i * MNIST_CLASSES, (i + 1) * MNIST_CLASSES);
      if (row.indexOf(Math.max(...row)) === part.labels[i]) correct++;
    }
  }
  return { loss: loss / n, accuracy: correct / n };
}

/** Leading n x n block of an N x N kernel, symmetrised (float32 rounding can differ across the diagonal). */
function leadingBlock(k: ArrayLike<number>, size: number, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) out[i * n + j] = 0.5 * (k[i * size + j] + k[j * size + i]);
  }
  return out;
}

/** Von Neumann entropy (nats) of each leading block, of the raw and of the cosine-normalised kernel. */
export async function subsetEntropies(k: ArrayLike<number>, size: number, ns: number[]): Promise<Entropies> {
  const out: Entropies = { raw: [], cosine: [] };
  for (const n of ns) {
    const block = leadingBlock(k, size, n);
    out.raw.push((await vonNeumannEntropy(block)).entropy);
    out.cosine.push((await vonNeumannEntropy(block, { cosine: true })).entropy);
  }
  return out;
}

/** Traced empirical NTK of the model on the first `n` images of a set, read back. */
export async function ntkOf(model: Sequential, set: ImageSet, n: number): Promise<Float32Array> {
  const x = imagesTensor(sliceImages(set, 0, n));
  try {
    return (await empiricalNtkHost(model, x)).kernel;
  } finally {
    x.dispose();
  }
}
