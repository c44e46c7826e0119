#!/usr/bin/env python3
"""Drives a command on a pseudo-terminal, as a user at a terminal would.
pty_drive.py SCRIPT -- CMD...: SCRIPT is a list of steps, one per argument
group separated by ';;': "expect TEXT", "send TEXT" (\\n, \\x10 escapes),
"wait" (for the command's exit). Prints everything the command wrote and,
last, "EXIT <status>". Every step times out after 20 s (exit 3)."""
import os, pty, select, sys, time

def main():
    sep = sys.argv.index("--")
    steps = [s.strip() for s in " ".join(sys.argv[1:sep]).split(";;") if s.strip()]
    cmd = sys.argv[sep + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    out = b""
    def pump(timeout):
        nonlocal out
        r, _, _ = select.select([fd], [], [], timeout)
        if not r:
            return True
        try:
            data = os.read(fd, 4096)
        except OSError:
            return False
        if not data:
            return False
        out += data
        return True
    alive = True
    for step in steps:
        verb, _, arg = step.partition(" ")
        arg = arg.encode().decode("unicode_escape").encode("latin-1")
        deadline = time.time() + 20
        if verb == "send":
            time.sleep(0.2)
            os.write(fd, arg)
        elif verb == "expect":
            while arg not in out:
                if time.time() > deadline or not alive:
                    sys.stdout.write(out.decode(errors="replace"))
                    print(f"\nTIMEOUT waiting for {arg!r}")
                    sys.exit(3)
                alive = pump(0.2) and alive
        elif verb == "wait":
            while alive and time.time() < deadline:
                alive = pump(0.2)
    while pump(0.1):
        pass
    end = time.time() + 20
    while True:
        wpid, status = os.waitpid(pid, os.WNOHANG)
        if wpid:
            break
        if time.time() > end:
            os.kill(pid, 9)
            print("TIMEOUT waiting for exit")
            sys.exit(3)
        time.sleep(0.05)
    sys.stdout.write(out.decode(errors="replace"))
    print(f"\nEXIT {os.waitstatus_to_exitcode(status)}")

main()
