# Benchmark helper: runs ARGV as a child and prints what it cost as the kernel counted it, after
# the child's own output: "rusage wall MS cpu MS maxrss_kib N" (RUSAGE_CHILDREN: this process
# runs only that child). Exits with the child's status.
import resource
import subprocess
import sys
import time

t0 = time.perf_counter()
p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE)
wall = (time.perf_counter() - t0) * 1000
r = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stdout.write(p.stdout.decode('utf-8', 'replace'))
print(f"rusage wall {wall:.1f} cpu {(r.ru_utime + r.ru_stime) * 1000:.1f} maxrss_kib {r.ru_maxrss}")
sys.exit(p.returncode)
