#!/usr/bin/python3
"""Run the README's command blocks and check that they print what it shows.

    tests/readme_doctest.py [README.md]

Every ```console block is a session at a terminal: lines starting with "$ "
are commands, the lines after each are what it prints. All blocks run, in
the README's order, in one bash session (so that one block can build on
another), with "sudo " dropped, as root, in a scratch copy of the repository
and throwaway network, UTS, IPC and mount namespaces; but those marked not to
run here. A command must exit 0, unless it says otherwise in a comment
("# exit status 125") or the reader is shown its status ("$?"). Each command
is a test, printed in TAP form with its README line; a mismatch shows the
expected and the actual lines. At the end: how many blocks ran out of how
many, and which did not, and why.

Marks: an HTML comment on the line right before a block's opening fence.
  <!-- not run: REASON -->  the block is for reading only;
  <!-- cgroup v2 -->         it runs only where /sys/fs/cgroup is cgroup v2
  <!-- cgroup v1 -->         (stat -fc %T says cgroup2fs), or only where it is
                            not (v1, or a v1/v2 hybrid). Where the output
                            differs by cgroup version, write the v2 block
                            first, then its v1 twin: on each machine one of
                            the two runs, and the other is reported as not run.
Any other comment right before a block is an error (a misspelt mark would
otherwise run the block everywhere).

Matching, line by line, after trailing blanks are dropped:
  - "..." on a line of its own stands for any number of lines; within a line,
    for any text;
  - what differs from run to run matches anything of its kind: numbers of
    three digits or more (PIDs, sizes; but 125-159, the exit statuses, must
    be exact), decimal fractions (times), MAC addresses, hex numbers, the
    random part of veth names, interface indexes in "@ifN";
  - bash's report of a killed job in a script ("script: line N: PID Killed
    CMD") reads as at a terminal: "Killed";
  - a line that ends in " (re)" is a Python regular expression, for output
    that differs by kernel or distribution: the text before " (re)" must
    match the whole line, and nothing else applies to it ("...", the numbers
    above). E.g. findmnt's options for a tmpfs, with inode64 on Linux 6.1:
        /mnt   demo   tmpfs  rw,relatime(,inode64)? (re)
    Use it only where the output really varies; everywhere else, show it as
    it is. (The same mark as Mercurial's and cram's tests.)
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

FENCE_OPEN = "```console"
FENCE_CLOSE = "```"
COMMENT = re.compile(r"^<!--.*-->$")
NOT_RUN = re.compile(r"^<!-- not run: (.+) -->$")
CGROUP_ONLY = re.compile(r"^<!-- cgroup v([12]) -->$")
REGEX_LINE = " (re)"
MARK = "@@readme-doctest@@"
SESSION_TIMEOUT = 900


EXIT_STATUS = re.compile(r"\s#\s*exit status (\d+)$")


class Command:
    def __init__(self, line, text):
        self.line = line          # its line number in the README
        self.text = text          # as printed, after "$ "
        self.expected = []
        match = EXIT_STATUS.search(text)
        # A command fails unless it says otherwise ("... # exit status 125")
        # or the reader is shown its status ("$ echo $?" next, or in it).
        self.status = int(match.group(1)) if match else 0
        self.status_shown = "$?" in text


class Block:
    def __init__(self, line, reason):
        self.line = line
        self.reason = reason      # why it is not run, or None
        self.commands = []


def machine_cgroup_version():
    """2 where /sys/fs/cgroup is a cgroup2 filesystem, else 1 (v1 or hybrid)."""
    kind = subprocess.run(["stat", "-f", "-c", "%T", "/sys/fs/cgroup"], check=False,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    return 2 if kind.strip() == b"cgroup2fs" else 1


def why_not_run(mark, cgroup_version):
    """Why a block after the comment mark does not run here (None: it runs);
    raises ValueError for a comment that is no mark."""
    if not COMMENT.match(mark):
        return None
    match = NOT_RUN.match(mark)
    if match:
        return match.group(1)
    match = CGROUP_ONLY.match(mark)
    if match:
        wanted = int(match.group(1))
        if wanted == cgroup_version:
            return None
        return f"cgroup v{wanted} only (this machine runs cgroup v{cgroup_version})"
    raise ValueError(f"unknown mark {mark!r} (known: <!-- not run: REASON -->, "
                     "<!-- cgroup v1 -->, <!-- cgroup v2 -->)")


def parse(path, lines, cgroup_version):
    """The console blocks in lines (of the file path), with their commands
    and outputs, and why each does not run on a machine of cgroup_version."""
    blocks, block, previous = [], None, ""
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\n")
        if block is None:
            if line.strip() == FENCE_OPEN:
                try:
                    reason = why_not_run(previous.strip(), cgroup_version)
                except ValueError as e:
                    sys.exit(f"{path}:{number - 1}: {e}")
                block = Block(number, reason)
                blocks.append(block)
            previous = line
            continue
        if line.strip() == FENCE_CLOSE:
            block, previous = None, line
        elif line.startswith("$ "):
            if block.commands and "$?" in line:
                block.commands[-1].status_shown = True
            block.commands.append(Command(number, line[2:]))
        elif block.commands:
            try:
                line_pattern(line.rstrip())
            except re.error as e:
                sys.exit(f"{path}:{number}: not a regular expression: {e}")
            block.commands[-1].expected.append(line)
        else:
            sys.exit(f"{path}:{number}: output before any command")
    if block is not None:
        sys.exit(f"{path}:{block.line}: console block never closed")
    return blocks


def as_root(command):
    """The command as root runs it: without a leading sudo."""
    return re.sub(r"^sudo ", "", command)


def session_script(commands):
    """One bash script running each command, its output closed by a mark
    carrying its index and exit status."""
    lines = ["exec 2>&1", "ip link set lo up"]
    for index, command in enumerate(commands):
        lines.append(as_root(command.text))
        # Keep $? for the next command: `echo $?` is one of them.
        lines.append(f"doctest_status=$?; printf '\\n{MARK} {index} %d\\n' $doctest_status; (exit $doctest_status)")
    return "\n".join(lines) + "\n"


def run_session(commands, workdir):
    """Run the commands; return each one's output lines (None if it never
    finished) and the session's own complaint, if any."""
    script = os.path.join(workdir, ".readme-session.sh")
    with open(script, "w", encoding="utf-8") as f:
        f.write(session_script(commands))
    # A reader's shell: not a make's child (make test runs us), in C locale.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    env.update(LC_ALL="C", TERM="dumb", COLUMNS="80")
    try:
        # Its own network, hostname, IPC and mount table: a command that
        # misbehaves cannot reach the machine's.
        proc = subprocess.run(["unshare", "--net", "--uts", "--ipc", "--mount",
                               "--propagation", "private", "--", "bash", script], cwd=workdir,
                              env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              timeout=SESSION_TIMEOUT)
        text, complaint = proc.stdout.decode("utf-8", "replace"), None
    except subprocess.TimeoutExpired as e:
        text = (e.stdout or b"").decode("utf-8", "replace")
        complaint = f"the session took longer than {SESSION_TIMEOUT} s"
    outputs, current = [None] * len(commands), []
    for line in text.split("\n"):
        if MARK in line:
            before, _, rest = line.partition(MARK)
            if before:
                current.append(before)
            index, status = (int(word) for word in rest.split()[:2])
            # The mark's own leading newline ends the output's last line.
            if current and current[-1] == "":
                current.pop()
            outputs[index] = (current, status)
            current = []
        else:
            current.append(line)
    return outputs, complaint


KILLED = re.compile(r"^\S+: line \d+: +\d+ (Killed|Terminated)\s.*$")
VARYING = [
    (re.compile(r"(?<![\w:])([0-9a-f]{2}:){5}[0-9a-f]{2}(?![\w:])"), r"(?:[0-9a-f]{2}:){5}[0-9a-f]{2}"),
    (re.compile(r"0x[0-9a-f]+"), r"0x[0-9a-f]+"),
    (re.compile(r"veth[0-9a-f]{6}"), r"veth[0-9a-f]{6}"),
    (re.compile(r"@if\d+"), r"@if\d+"),
    (re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])"), r"\d+\.\d+"),
    (re.compile(r"(?<![\d.])(?!1[2-5]\d(?![\d.]))\d{3,}(?![\d.])"), r"\d{3,}"),
]


def line_pattern(expected):
    """A regular expression for one expected line."""
    if expected.endswith(REGEX_LINE):
        return re.compile(r"(?:" + expected[:-len(REGEX_LINE)] + r")\Z")
    out, pos = [], 0
    while pos < len(expected):
        if expected.startswith("...", pos):
            out.append(".*")
            pos += 3
            continue
        for pattern, replacement in VARYING:
            match = pattern.match(expected, pos)
            if match:
                out.append(replacement)
                pos = match.end()
                break
        else:
            out.append(re.escape(expected[pos]))
            pos += 1
    return re.compile("".join(out) + r"\Z")


def clean(line):
    line = line.rstrip()
    return "Killed" if KILLED.match(line) else line


def matches(expected, actual):
    """Whether the actual lines are what the README shows."""
    expected = [line.rstrip() for line in expected]
    actual = [clean(line) for line in actual]

    def match_from(i, j):
        if i == len(expected):
            return j == len(actual)
        if expected[i] == "...":
            return any(match_from(i + 1, k) for k in range(j, len(actual) + 1))
        return (j < len(actual) and line_pattern(expected[i]).match(actual[j]) is not None
                and match_from(i + 1, j + 1))

    return match_from(0, 0)


def scratch_copy(top):
    """A copy of the repository's files (tracked and new, not ignored)."""
    files = subprocess.run(["git", "ls-files", "-z", "-c", "-o", "--exclude-standard"],
                           cwd=top, check=True, stdout=subprocess.PIPE).stdout
    workdir = tempfile.mkdtemp(prefix="readme_doctest.")
    for name in filter(None, files.decode().split("\0")):
        source = os.path.join(top, name)
        if not os.path.lexists(source):
            continue
        target = os.path.join(workdir, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    return workdir


def convention_failures():
    """Check the marks and the matching rules above on small examples;
    return what does not hold."""
    sample = ["<!-- cgroup v2 -->", FENCE_OPEN, "$ a", FENCE_CLOSE,
              "<!-- cgroup v1 -->", FENCE_OPEN, "$ b", FENCE_CLOSE,
              "<!-- not run: for reading -->", FENCE_OPEN, "$ c", FENCE_CLOSE,
              "<!-- a note, not a mark -->", "", FENCE_OPEN, "$ d", FENCE_CLOSE]
    failures = []
    for version, expected in ((1, [False, True, False, True]), (2, [True, False, False, True])):
        runs = [b.reason is None for b in parse("sample", sample, version)]
        if runs != expected:
            failures.append(f"on cgroup v{version} blocks a-d run {runs}, not {expected}")
    try:
        why_not_run("<!-- cgroup 2 -->", 1)
        failures.append("a misspelt mark is taken for no mark")
    except ValueError:
        pass
    for expected, actual, wanted in (
            ("/mnt   demo   tmpfs  rw,relatime(,inode64)? (re)",
             "/mnt   demo   tmpfs  rw,relatime,inode64", True),
            ("/mnt   demo   tmpfs  rw,relatime(,inode64)? (re)",
             "/mnt   demo   tmpfs  rw,relatime", True),
            ("/mnt   demo   tmpfs  rw,relatime(,inode64)? (re)",
             "/mnt   demo   tmpfs  rw,relatime,size=1k", False),
            ("0::/... (re)", "0::/user.slice", False),
            ("0::/...", "0::/user.slice", True),
            ("/mnt   demo   tmpfs  rw,relatime", "/mnt   demo   tmpfs  rw,relatime,inode64", False)):
        if matches([expected], [actual]) != wanted:
            failures.append(f"{expected!r} {'does not match' if wanted else 'matches'} {actual!r}")
    return failures


def main():
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    readme = sys.argv[1] if len(sys.argv) > 1 else os.path.join(top, "README.md")
    name = os.path.relpath(readme, top)
    with open(readme, encoding="utf-8") as f:
        blocks = parse(readme, f, machine_cgroup_version())
    run = [b for b in blocks if b.reason is None]
    commands = [c for b in run for c in b.commands]
    failures = convention_failures()
    if os.geteuid() != 0:
        print("1..2")
        print(f"{'not ' if failures else ''}ok 1 readme_doctest.py: its marks and patterns work as documented")
        for failure in failures:
            print("# " + failure)
        print(f"ok 2 {name} # skip its commands run as root (sudo make test)")
        return 1 if failures else 0

    workdir = scratch_copy(top)
    try:
        outputs, complaint = run_session(commands, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    failed = 1 if failures else 0
    print(f"1..{len(commands) + 1}")
    print(f"{'not ' if failures else ''}ok 1 readme_doctest.py: its marks and patterns work as documented")
    for failure in failures:
        print("# " + failure)
    for number, (command, result) in enumerate(zip(commands, outputs), 2):
        title = f"{name}:{command.line}: $ {command.text}"
        actual, status = result if result is not None else (None, None)
        status_ok = command.status_shown or status == command.status
        if actual is not None and status_ok and matches(command.expected, actual):
            print(f"ok {number} {title}")
            continue
        failed += 1
        print(f"not ok {number} {title}")
        if actual is None:
            print(f"# it never finished{': ' + complaint if complaint else ''}")
            continue
        if not status_ok:
            print(f"# exit status {status}, not {command.status}")
        print("# expected:")
        print("\n".join("#   " + line for line in command.expected) or "#   (nothing)")
        print("# printed:")
        print("\n".join("#   " + line for line in actual) or "#   (nothing)")
    print(f"# {name}: ran {len(run)} of {len(blocks)} command blocks "
          f"({len(commands)} commands)")
    for block in blocks:
        if block.reason is not None:
            print(f"# not run: {name}:{block.line}: {block.reason}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
