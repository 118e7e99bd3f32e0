#!/usr/bin/env python3
"""snapbench's reference agent: what a Linux guest's agent must do to be benchmarked by snapbench.

It listens on a vsock port (52 by default) and answers one request per line, one line each:
  ready      -> "READY <pid> <requests served>"; snapbench's spawn ends at this reply (vm.readiness: vsock)
  touch <N>  -> touches N MiB, one write per 4 KiB page, and answers "W<microseconds>/0" (first_work_ms)
  anything else -> "E unknown request"
A restore resets every vsock connection (Firecracker's transport reset), so the host opens a new one after
each resume; the listening socket survives. Standard library only; `--unix PATH` listens on a Unix socket
instead, to test the protocol where AF_VSOCK is not available.
"""
import argparse, os, socket, threading, time

PAGE = 4096


def answer(line: str, served: int) -> str:
    words = line.split()
    if words == ["ready"]:
        return f"READY {os.getpid()} {served}"
    if len(words) == 2 and words[0] == "touch" and words[1].isdigit():
        start = time.perf_counter_ns()
        memory = bytearray(int(words[1]) << 20)
        for offset in range(0, len(memory), PAGE):
            memory[offset] = 1
        return f"W{(time.perf_counter_ns() - start) // 1000}/0"
    return "E unknown request"


def serve(connection: socket.socket, counter: list) -> None:
    with connection, connection.makefile("rwb", buffering=0) as stream:
        for raw in stream:
            counter[0] += 1
            stream.write((answer(raw.decode("ascii", "replace").strip(), counter[0]) + "\n").encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=52, help="vsock port to listen on (default 52)")
    parser.add_argument("--unix", help="listen on this Unix socket path instead of vsock (for tests)")
    options = parser.parse_args()
    family, address = (socket.AF_UNIX, options.unix) if options.unix else (socket.AF_VSOCK, (socket.VMADDR_CID_ANY, options.port))
    with socket.socket(family, socket.SOCK_STREAM) as listener:
        listener.bind(address)
        listener.listen(16)
        print(f"agent listening on {address}", flush=True)
        counter = [0]
        while True:
            connection, _ = listener.accept()
            threading.Thread(target=serve, args=(connection, counter), daemon=True).start()


if __name__ == "__main__":
    main()
