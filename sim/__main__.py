"""``python -m sim scenario=NAME``: run one scenario of the jobcenter simulator."""
import sys

if __name__ == "__main__":
    try:
        from .cli import main
    except KeyboardInterrupt:       # Ctrl-C while the modules load
        print("interrupted: the run had not started; nothing was written", file=sys.stderr)
        raise SystemExit(130) from None
    main()
