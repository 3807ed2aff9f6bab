"""Executes notebooks headlessly on Deno's kernel, keeping outputs that arrive after a cell's idle status.

Usage: /usr/bin/python3 .ci/execute_notebook.py OUT_DIR NOTEBOOK.ipynb...

nbclient (what `jupyter nbconvert --execute` runs) stops collecting a cell's outputs at the cell's
`status: idle` message. Deno's kernel (2.x) sometimes publishes a cell's `display_data` a few
milliseconds after that idle status, under load about once in twenty runs of a figure notebook: the
message has the right parent, so JupyterLab shows it in the right cell, but nbclient has moved on and
the figure is lost. This client keeps listening after the idle: it sends a `kernel_info_request`,
whose own messages come after anything still queued in the kernel, and collects the cell's late
outputs until that request is idle and the channel has been quiet for a moment.
"""

import asyncio
import pathlib
import sys
from queue import Empty

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete, CellExecutionError
from nbclient.util import ensure_async

QUIET_SECONDS = 0.3


class LateOutputClient(NotebookClient):
    """nbclient, plus the outputs a cell publishes after its idle status."""

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        assert self.kc is not None
        nudge = None
        nudged = False
        while True:
            timeout = QUIET_SECONDS if nudged else None
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=timeout))
            except (Empty, asyncio.TimeoutError):
                return
            parent = msg["parent_header"].get("msg_id")
            if parent == parent_msg_id:
                if nudge is not None and msg["msg_type"] != "status":
                    print(f"late {msg['msg_type']} of cell {cell_index} collected", file=sys.stderr)
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    if nudge is None:
                        nudge = self.kc.kernel_info()
            elif (
                parent == nudge
                and msg["msg_type"] == "status"
                and msg["content"]["execution_state"] == "idle"
            ):
                nudged = True


def main(out_dir, paths):
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    failed = False
    for path in map(pathlib.Path, paths):
        notebook = nbformat.read(path, as_version=4)
        client = LateOutputClient(
            notebook,
            timeout=600,
            iopub_timeout=60,
            kernel_name=notebook.metadata.get("kernelspec", {}).get("name", "deno"),
            resources={"metadata": {"path": str(path.parent)}},
        )
        try:
            client.execute()
        except CellExecutionError as error:
            failed = True
            print(f"{path}: {error}", file=sys.stderr)
        nbformat.write(notebook, out / path.name)
        print(f"executed {path} -> {out / path.name}")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2:]))
