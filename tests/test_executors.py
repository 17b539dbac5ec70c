"""The local pool's handling of Ctrl-C while its workers start (sim.executors)."""
import signal
import subprocess
import sys
import textwrap

from conftest import PROJECT_ROOT

# A Ctrl-C delivered while the parent runs an at-fork hook, as the logging module's runs on
# every fork: Python reports the KeyboardInterrupt raised there as "Exception ignored" and
# goes on. The hook below presses the key from inside such a hook.
SCRIPT = textwrap.dedent("""
    import os, signal, sys
    from types import SimpleNamespace
    from sim.executors import make_pool

    def press_ctrl_c_inside_the_hook():
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(100000):     # Python code after the key, still inside the hook
            pass

    os.register_at_fork(after_in_parent=press_ctrl_c_inside_the_hook)
    try:
        pool = make_pool(SimpleNamespace(executor="local"), 2)
        pool.submit(int).result()
        pool.shutdown()
    except KeyboardInterrupt:
        print("interrupted")
        sys.exit(130)
    print("went on")
""")


def run_script(script: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=120,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def test_ctrl_c_while_the_pool_forks_its_workers_is_not_lost():
    done = run_script(SCRIPT)
    assert done.returncode == 130, done.stdout + done.stderr
    assert done.stdout.strip() == "interrupted"
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


def test_without_holding_the_key_back_python_drops_it_there():
    """The negative control: forking a plain pool under the same hook loses the Ctrl-C."""
    plain = SCRIPT.replace('make_pool(SimpleNamespace(executor="local"), 2)',
                           "__import__('concurrent.futures').futures.ProcessPoolExecutor(2)")
    done = run_script(plain)
    assert done.returncode == 0 and done.stdout.strip() == "went on", done.stdout + done.stderr
    assert "Exception ignored" in done.stderr


def test_a_pool_made_where_ctrl_c_is_ignored_keeps_ignoring_it():
    script = SCRIPT.replace("import os, signal, sys",
                            "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN)")
    done = run_script(script)
    assert done.returncode == 0 and done.stdout.strip() == "went on", done.stdout + done.stderr
