"""``python -m hypersweep.bench``: the benchmark's command group."""

from hypersweep.bench._cli import bench

if __name__ == "__main__":
    bench()
