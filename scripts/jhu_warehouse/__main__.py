from jhu_warehouse.cli import main

# Guarded so that worker processes started with "spawn" can import this module safely.
if __name__ == "__main__":
    raise SystemExit(main())
