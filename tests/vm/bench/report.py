#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py META.json BENCH.tsv OUTDIR - the NFS benchmark's results.

scripts/bench.sh runs it on the host after the VM (tests/vm/bench/nfs.sh)
has written BENCH.tsv and, next to it, fio/ (fio's JSON output of every
measurement, named in the TSV).  It writes, into OUTDIR:
  bench-STAMP.json   every sample and the summary (min/median/max per
                     workload, profile and configuration, ratios to the
                     references), with META (kernel, commit, date,
                     parameters)
  bench.md           the Markdown tables
  plot-WORKLOAD.png  throughput per network profile, one bar per
                     configuration (min..max as error bars), the local ext4
                     and raw-device references as lines
  overview-PROFILE.png  every workload for one profile (log scale)
The plots are made with gnuplot (Debian's gnuplot-nox); without it the
JSON and the table are still written.  Only the standard library is used.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys

CONFIGS = ["nocache", "cachefiles", "cachestore"]
REFS = ["local", "raw"]
WORKLOADS = ["seq-cold", "seq-warm", "seq-rebind", "rand4k", "rand64k",
             "small-cold", "small-warm", "par8-cold", "par8-warm", "cull"]
GIB = 1 << 30


def local_ref(w):
    """the local ext4 workload a network workload is compared with"""
    return w.split("-")[0] if w.split("-")[0] in ("seq", "small", "par8") else w


def raw_ref(w):
    """the raw-device workload a network workload is compared with (none
    for small files: the raw device has no files)"""
    if w.startswith("small"):
        return None
    return w if w in ("rand4k", "rand64k") else "seq"


def stats(v):
    return {"min": min(v), "median": statistics.median(v), "max": max(v), "n": len(v)}


def read_fio(path):
    """bytes read and bandwidth (bytes/s), summed over the jobs of one fio
    JSON output (which may start with fio's "opendir added N files")"""
    with open(path) as f:
        t = f.read()
    j = json.loads(t[t.index("{"):])
    return (sum(x["read"]["io_bytes"] for x in j["jobs"]),
            sum(x["read"]["bw_bytes"] for x in j["jobs"]))


def read_tsv(path):
    cols = ["rep", "profile", "config", "workload", "fio_json", "wall_s",
            "cpu_s", "dev_read_bytes", "server_read_bytes"]
    out = []
    with open(path) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) != len(cols):
                continue
            s = dict(zip(cols, p))
            for k in ("rep", "dev_read_bytes", "server_read_bytes"):
                s[k] = int(s[k])
            for k in ("wall_s", "cpu_s"):
                s[k] = float(s[k])
            s["bytes"], bw = read_fio(os.path.join(os.path.dirname(path), s["fio_json"]))
            if s["bytes"] <= 0:
                sys.exit(f"report.py: {s['fio_json']} read nothing")
            # fio's own bandwidth: its start-up (seconds under TCG, and for
            # small files its stat of every file before the I/O) left out;
            # wall_s, which counts it, stays in the JSON
            s["mib_s"] = bw / (1 << 20)
            s["cpu_s_per_gib"] = s["cpu_s"] / (s["bytes"] / GIB)
            s["dev_read_per_byte"] = (s["dev_read_bytes"] / s["bytes"]
                                      if s["dev_read_bytes"] >= 0 else None)
            s["server_read_per_byte"] = (s["server_read_bytes"] / s["bytes"]
                                         if s["server_read_bytes"] >= 0 else None)
            out.append(s)
    return out


def summarize(samples):
    groups = {}
    for s in samples:
        groups.setdefault((s["profile"], s["config"], s["workload"]), []).append(s)
    summ = {}
    for key, ss in groups.items():
        e = {"profile": key[0], "config": key[1], "workload": key[2]}
        for k in ("mib_s", "cpu_s_per_gib", "dev_read_per_byte", "server_read_per_byte"):
            v = [s[k] for s in ss if s[k] is not None]
            e[k] = stats(v) if v else None
        summ[key] = e
    # ratios of medians, within this run
    for (p, c, w), e in summ.items():
        if c in REFS:
            continue
        m = e["mib_s"]["median"]
        for name, key in (("local", ("-", "local", local_ref(w))),
                          ("raw", ("-", "raw", raw_ref(w) or "")),
                          ("nocache", (p, "nocache", w)),
                          ("cachefiles", (p, "cachefiles", w))):
            r = summ.get(key)
            e["ratio_" + name] = (m / r["mib_s"]["median"]
                                  if r and r["mib_s"]["median"] > 0 else None)
    return summ


def order(xs, ref):
    return [x for x in ref if x in xs] + sorted(x for x in xs if x not in ref)


def fmt(x, d=1):
    return "-" if x is None else f"{x:.{d}f}"


def spread(st, d=1):
    if st is None:
        return "-"
    if st["n"] == 1:
        return fmt(st["median"], d)
    return f"{fmt(st['median'], d)} ({fmt(st['min'], d)}–{fmt(st['max'], d)})"


def markdown(meta, summ, profiles, configs, workloads):
    p = meta["parameters"]
    L = []
    L.append(f"## NFS read benchmark, kernel {meta['kernel']}")
    L.append("")
    L.append(f"{meta['date']}, commit {meta['commit']}, {meta['host']}; "
             f"REPS={p['reps']}, PROFILES={' '.join(profiles)}, large file {p['mib']} MiB, "
             f"{p['nfiles']} small files of 16 KiB, 8 readers x {p['par_mib']} MiB, "
             f"random reads {p['runtime']} s, cull: {p['cull_cache_mib']} MiB cache, "
             f"{2 * int(p['cull_cache_mib'])} MiB data; NFSv{p['nfsvers']}; "
             f"{meta.get('qemu', 'qemu TCG')}"
             + (f"; beside it ran the VM of kernel {meta['side_by_side'].strip()}"
                if meta.get("side_by_side", "").strip() else "") + ".")
    L.append("")
    L.append("Network profiles (netem on lo, each direction): " +
             "; ".join(f"{k} = {v}" for k, v in meta.get("profile_desc", {}).items()
                       if k in profiles) + ".")
    L.append("")
    L.append("### Throughput, MiB/s: median (min–max)")
    L.append("")
    hdr = ["workload", "profile"] + configs + ["local ext4", "raw O_DIRECT"]
    if "cachestore" in configs and "cachefiles" in configs:
        hdr.append("cachestore / cachefiles")
    if "cachestore" in configs and "nocache" in configs:
        hdr.append("cachestore / nocache")
    L.append("| " + " | ".join(hdr) + " |")
    L.append("|---|---|" + "---:|" * (len(hdr) - 2))
    for w in workloads:
        for pr in profiles:
            row = [w, pr]
            for c in configs:
                e = summ.get((pr, c, w))
                row.append(spread(e["mib_s"]) if e else "-")
            for c, f in (("local", local_ref), ("raw", raw_ref)):
                e = summ.get(("-", c, f(w))) if f(w) else None
                row.append(spread(e["mib_s"]) if e else "-")
            e = summ.get((pr, "cachestore", w))
            if "cachefiles" in configs and "cachestore" in configs:
                row.append(fmt(e.get("ratio_cachefiles") if e else None, 2))
            if "nocache" in configs and "cachestore" in configs:
                row.append(fmt(e.get("ratio_nocache") if e else None, 2))
            L.append("| " + " | ".join(row) + " |")
    L.append("")
    L.append("### Ratios to the references, CPU and read amplification (medians)")
    L.append("")
    L.append("x local / x raw: median MiB/s over the local ext4 file's (same kind of "
             "workload) and the raw device's (sequential, or the same random size). "
             "CPU: the VM's busy CPU seconds per GiB delivered (every vCPU, the NFS "
             "server's too). cache rd/B: bytes read from the cache device per byte "
             "delivered; server rd/B: bytes NFS fetched from the server per byte.")
    L.append("")
    L.append("| workload | profile | config | MiB/s | x nocache | x local | x raw | CPU s/GiB | cache rd/B | server rd/B |")
    L.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for w in workloads:
        for pr in profiles:
            for c in configs:
                e = summ.get((pr, c, w))
                if not e:
                    continue
                med = lambda k: e[k]["median"] if e.get(k) else None  # noqa: E731
                L.append("| " + " | ".join([
                    w, pr, c, fmt(med("mib_s")),
                    fmt(e.get("ratio_nocache"), 2) if c != "nocache" else "1",
                    fmt(e.get("ratio_local"), 3), fmt(e.get("ratio_raw"), 3),
                    fmt(med("cpu_s_per_gib"), 1),
                    fmt(med("dev_read_per_byte"), 2) if c != "nocache" else "-",
                    fmt(med("server_read_per_byte"), 2)]) + " |")
    L.append("")
    L.append("### References (no network)")
    L.append("")
    L.append("| reference | workload | MiB/s | CPU s/GiB | device rd/B |")
    L.append("|---|---|---:|---:|---:|")
    for c in REFS:
        for w in ("seq", "rand4k", "rand64k", "small", "par8", "cull"):
            e = summ.get(("-", c, w))
            if e:
                L.append(f"| {c} | {w} | {spread(e['mib_s'])} | "
                         f"{fmt(e['cpu_s_per_gib']['median'])} | "
                         f"{fmt(e['dev_read_per_byte']['median'] if e['dev_read_per_byte'] else None, 2)} |")
    L.append("")
    L.append("Figures under qemu TCG: compare columns within one run; absolute MiB/s "
             "mean little (see Documentation/filesystems/caching/benchmarks.rst).")
    return "\n".join(L) + "\n"


def plots(outdir, meta, summ, profiles, configs, workloads):
    gp = shutil.which("gnuplot")
    if not gp:
        print("report.py: no gnuplot (apt-get install gnuplot-nox): no plots", file=sys.stderr)
        return []
    made = []
    head = (
        'if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) '
        'set terminal pngcairo size 900,540 noenhanced font ",10"; '
        'else set terminal png size 900,540 noenhanced\n'
        'set style data histograms\n'
        'set style histogram errorbars gap 1 lw 1\n'
        'set style fill solid 0.8 border -1\n'
        'set boxwidth 0.9\n'
        'set datafile missing "?"\n'
        'set key outside right top\n'
        'set grid ytics\n'
                'set ylabel "MiB/s (median, min..max)"\n')
    for w in workloads:
        dat = os.path.join(outdir, f"plot-{w}.dat")
        with open(dat, "w") as f:
            for pr in profiles:
                cols = [pr]
                for c in configs:
                    e = summ.get((pr, c, w))
                    cols += ([str(e["mib_s"][k]) for k in ("median", "min", "max")]
                             if e else ["?"] * 3)
                f.write(" ".join(cols) + "\n")
        script = head + f'set output "{os.path.join(outdir, "plot-" + w + ".png")}"\n'
        script += (f'set title "{w}: NFS read throughput per network profile, '
                   f'kernel {meta["kernel"]} (qemu TCG; references as lines)"\n')
        script += 'set xlabel "network profile"\n'
        ys = [summ[(pr, c, w)]["mib_s"]["max"] for pr in profiles for c in configs
              if (pr, c, w) in summ]
        ys += [summ[("-", c, f(w))]["mib_s"]["median"] for c, f in (("local", local_ref), ("raw", raw_ref))
               if f(w) and ("-", c, f(w)) in summ]
        script += f"set yrange [0:{max(ys + [1]) * 1.12:.2f}]\n"
        refkeys = []
        for c, f in (("local", local_ref), ("raw", raw_ref)):
            e = summ.get(("-", c, f(w))) if f(w) else None
            if e:
                y = e["mib_s"]["median"]
                dt = 2 if c == "local" else 3
                script += (f'set arrow from graph 0, first {y} to graph 1, first {y} '
                           f'nohead dt {dt} lw 1.5 lc rgb "black" front\n')
                refkeys.append(f'NaN with lines dt {dt} lw 1.5 lc rgb "black" '
                               f'title "{c} {f(w)}: {y:.1f}"')
        parts = []
        for i, c in enumerate(configs):
            b = 2 + 3 * i
            u = f"{b}:{b + 1}:{b + 2}" + (":xtic(1)" if i == 0 else "")
            parts.append(f'"{dat}" using {u} title "{c}"')
        script += "plot " + ", ".join(parts + refkeys) + "\n"
        if run_gnuplot(gp, script):
            made.append(f"plot-{w}.png")
    for pr in profiles:
        dat = os.path.join(outdir, f"overview-{pr}.dat")
        cfgs = configs + ["local"]
        with open(dat, "w") as f:
            for w in workloads:
                cols = [w]
                for c in cfgs:
                    e = summ.get((pr, c, w)) if c != "local" else summ.get(("-", "local", local_ref(w)))
                    cols += ([str(max(e["mib_s"][k], 0.01)) for k in ("median", "min", "max")]
                             if e else ["?"] * 3)
                f.write(" ".join(cols) + "\n")
        script = head + f'set output "{os.path.join(outdir, "overview-" + pr + ".png")}"\n'
        script += "set logscale y\nset xtics rotate by -30\n"
        script += (f'set title "every workload, profile {pr}, kernel {meta["kernel"]} '
                   f'(qemu TCG, log scale)"\n')
        parts = []
        for i, c in enumerate(cfgs):
            b = 2 + 3 * i
            u = f"{b}:{b + 1}:{b + 2}" + (":xtic(1)" if i == 0 else "")
            parts.append(f'"{dat}" using {u} title "{c}"')
        script += "plot " + ", ".join(parts) + "\n"
        if run_gnuplot(gp, script):
            made.append(f"overview-{pr}.png")
    return made


def run_gnuplot(gp, script):
    r = subprocess.run([gp], input=script, text=True, capture_output=True)
    if r.returncode != 0:
        print("report.py: gnuplot failed:\n" + r.stderr + "\n" + script, file=sys.stderr)
        return False
    return True


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    meta = json.load(open(sys.argv[1]))
    samples = read_tsv(sys.argv[2])
    outdir = sys.argv[3]
    if not samples:
        sys.exit("report.py: no samples in " + sys.argv[2])
    summ = summarize(samples)
    profiles = order({s["profile"] for s in samples if s["profile"] != "-"},
                     meta["parameters"]["profiles"].split(","))
    configs = order({s["config"] for s in samples if s["config"] not in REFS}, CONFIGS)
    workloads = order({s["workload"] for s in samples if s["config"] not in REFS}, WORKLOADS)
    md = markdown(meta, summ, profiles, configs, workloads)
    with open(os.path.join(outdir, "bench.md"), "w") as f:
        f.write(md)
    made = plots(outdir, meta, summ, profiles, configs, workloads)
    doc = dict(meta)
    doc["samples"] = samples
    doc["summary"] = sorted(summ.values(), key=lambda e: (e["workload"], e["profile"], e["config"]))
    doc["plots"] = made
    name = os.path.join(outdir, f"bench-{meta['stamp']}.json")
    with open(name, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    sys.stdout.write(md)
    print(f"\nreport.py: {name}, {os.path.join(outdir, 'bench.md')}"
          + (", " + ", ".join(made) if made else " (no plots)"))


if __name__ == "__main__":
    main()
