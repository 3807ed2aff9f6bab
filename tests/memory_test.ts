import assert from "node:assert";

Deno.test("tensors dropped without dispose() are reclaimed by the garbage collector", async () => {
  const probe = new URL("./_gc_probe.ts", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", probe],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout);
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const { before, leaked, after } = JSON.parse(text.trim().split("\n").at(-1)!);
  // 200 steps x 30 tensors were created and never disposed (6,000 would stay live without reclamation;
  // some are typically collected during the loop already); at most a few survive an explicit collection.
  assert.ok(leaked.live >= after.live);
  assert.ok(after.live - before.live <= 5, `live tensors after GC: ${text}`);
  assert.ok(after.bytes - before.bytes <= 5 * 64 * 64 * 4, `pool bytes in use after GC: ${text}`);
});
