#!/usr/bin/env python3
"""What a running process's seccomp filters do with a system call, asked of the kernel.

    seccomp_eval.py PID CALL [ARG0]      CALL: execve, socket, ... (x86_64 and aarch64 names)

Attaches to PID with ptrace (PTRACE_SEIZE + PTRACE_INTERRUPT: the process stops for a moment
and goes on afterwards, nothing is injected), reads its filters with PTRACE_SECCOMP_GET_FILTER
(needs CAP_SYS_ADMIN: root), detaches, and runs each classic-BPF program over the seccomp_data
of CALL (arch, number, ARG0 as the first argument). Prints the action the kernel would take,
the strictest of all filters: ALLOW, LOG, TRACE, ERRNO(n), TRAP, KILL_THREAD, KILL_PROCESS
(NONE when the process has no filter). Exit status 0, or 2 when it cannot tell.
"""
import ctypes
import os
import platform
import struct
import sys

PTRACE_DETACH = 17
PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207
PTRACE_SECCOMP_GET_FILTER = 0x420C
WALL = 0x40000000

ARCHES = {  # machine: (AUDIT_ARCH_*, {name: number})
    "x86_64": (0xC000003E, {"execve": 59, "socket": 41, "ptrace": 101, "setuid": 105,
                            "read": 0, "openat": 257, "getppid": 110}),
    "aarch64": (0xC00000B7, {"execve": 221, "socket": 198, "ptrace": 117, "setuid": 146,
                             "read": 63, "openat": 56, "getppid": 173}),
}

ACTIONS = [  # strictest first (the kernel's precedence)
    (0x80000000, "KILL_PROCESS"), (0x00000000, "KILL_THREAD"), (0x00030000, "TRAP"),
    (0x00050000, "ERRNO"), (0x7FC00000, "USER_NOTIF"), (0x7FF00000, "TRACE"),
    (0x7FFC0000, "LOG"), (0x7FFF0000, "ALLOW"),
]


def rank(ret):
    act = ret & 0xFFFF0000
    for i, (code, _name) in enumerate(ACTIONS):
        if act == code:
            return i
    return 0  # unknown: the kernel kills


def name_of(ret):
    act = ret & 0xFFFF0000
    for code, name in ACTIONS:
        if act == code:
            return f"ERRNO({ret & 0xFFFF})" if name == "ERRNO" else name
    return f"0x{ret:08x}"


def run_bpf(prog, data):
    """Classic BPF as seccomp runs it: A, X, M[16], loads from the 64-byte seccomp_data."""
    a = x = 0
    mem = [0] * 16
    pc = 0
    for _ in range(4096):  # programs have no loops; bounded all the same
        code, jt, jf, k = prog[pc]
        pc += 1
        cls = code & 0x07
        if cls == 0x00:  # LD
            mode = code & 0xE0
            if mode == 0x20:
                a = struct.unpack_from("<I", data, k)[0]
            elif mode == 0x00:
                a = k
            elif mode == 0x60:
                a = mem[k]
            elif mode == 0x80:
                a = len(data)
            else:
                raise ValueError(f"ld mode 0x{mode:x}")
        elif cls == 0x01:  # LDX
            mode = code & 0xE0
            x = k if mode == 0x00 else mem[k] if mode == 0x60 else len(data)
        elif cls == 0x02:
            mem[k] = a
        elif cls == 0x03:
            mem[k] = x
        elif cls == 0x04:  # ALU
            op, src = code & 0xF0, (x if code & 0x08 else k)
            ops = {0x00: lambda: a + src, 0x10: lambda: a - src, 0x20: lambda: a * src,
                   0x30: lambda: a // src, 0x40: lambda: a | src, 0x50: lambda: a & src,
                   0x60: lambda: a << src, 0x70: lambda: a >> src, 0x80: lambda: -a,
                   0x90: lambda: a % src, 0xA0: lambda: a ^ src}
            a = ops[op]() & 0xFFFFFFFF
        elif cls == 0x05:  # JMP
            op, src = code & 0xF0, (x if code & 0x08 else k)
            if op == 0x00:
                pc += k
                continue
            ok = {0x10: a == src, 0x20: a > src, 0x30: a >= src, 0x40: (a & src) != 0}[op]
            pc += jt if ok else jf
        elif cls == 0x06:  # RET
            return a if code & 0x18 == 0x10 else k
        elif cls == 0x07:  # MISC
            if code & 0xF8 == 0x00:
                x = a
            else:
                a = x
    raise ValueError("program did not return")


def get_filters(pid):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.restype = ctypes.c_long
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    if libc.ptrace(PTRACE_SEIZE, pid, None, None) < 0:
        raise OSError(ctypes.get_errno(), "PTRACE_SEIZE")
    progs = []
    try:
        libc.ptrace(PTRACE_INTERRUPT, pid, None, None)
        os.waitpid(pid, WALL)
        for index in range(64):
            n = libc.ptrace(PTRACE_SECCOMP_GET_FILTER, pid, ctypes.c_void_p(index), None)
            if n < 0:
                err = ctypes.get_errno()
                if err == 2 or (err == 22 and index > 0):  # ENOENT: no more filters
                    break
                if err == 22 and index == 0:  # EINVAL: no filter at all
                    break
                raise OSError(err, "PTRACE_SECCOMP_GET_FILTER")
            buf = ctypes.create_string_buffer(8 * n)
            libc.ptrace(PTRACE_SECCOMP_GET_FILTER, pid, ctypes.c_void_p(index), buf)
            progs.append([struct.unpack_from("<HBBI", buf.raw, 8 * i) for i in range(n)])
    finally:
        libc.ptrace(PTRACE_DETACH, pid, None, None)
    return progs


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    pid, call = int(sys.argv[1]), sys.argv[2]
    arg0 = int(sys.argv[3], 0) if len(sys.argv) > 3 else 0
    arch = ARCHES.get(platform.machine())
    if not arch or call not in arch[1]:
        print(f"cannot tell: no number for {call} on {platform.machine()}", file=sys.stderr)
        return 2
    data = struct.pack("<iIQ6Q", arch[1][call], arch[0], 0, arg0, 0, 0, 0, 0, 0)
    try:
        progs = get_filters(pid)
    except OSError as e:
        print(f"cannot tell: {e}", file=sys.stderr)
        return 2
    if not progs:
        print("NONE")
        return 0
    rets = [run_bpf(p, data) for p in progs]
    print(name_of(min(rets, key=rank)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
