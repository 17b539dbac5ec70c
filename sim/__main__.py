"""``python -m sim scenario=NAME``: run one scenario of the jobcenter simulator."""
from .cli import main

if __name__ == "__main__":
    main()
