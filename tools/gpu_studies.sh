#!/usr/bin/env bash
# One prepared command for the GPU presets of the studies (issues 14, 15): run it on a GPU box from the repo root.
#
#   bash tools/gpu_studies.sh                 # the default jobs; records into results/<study>/<run>/
#   bash tools/gpu_studies.sh --smoke         # the same jobs at smoke size on the CPU, into a temp folder (test it here)
#   bash tools/gpu_studies.sh --window=540    # the call's window in seconds (default 540): no job runs past it
#   bash tools/gpu_studies.sh --gpu-slots=7 --cpu-slots=9   # jobs side by side on the GPU / on the box's CPU cores
#   bash tools/gpu_studies.sh --only=stability,meta   # the job groups (default: stability,meta; also fewshot, block, uht)
#
# Two pools run side by side: GPU jobs (--device cuda, at most --gpu-slots at once) and CPU jobs (--device cpu, one
# thread each, at most --cpu-slots at once), each taking its jobs in order. A job starts only while the window still
# holds the time it needs (its `need`, below); it is stopped with SIGINT at the window's end, and the study core keeps
# every record it had written (status: failed, with the reason; failed runs are listed in RESULTS.md, never tabled).
# A job whose --out holds an `ok` run is skipped; one holding a failed run is rerun over it (--overwrite), so a second
# call on the same box picks up what the first left. Each job's log and a summary (jobs.tsv: exit status, seconds,
# status) go to results/gpu_leases/<date_time>/.
#
# Measured (one H200, 16 cores; records in results/*/gpu_* and converged_5w1s_s[12]*, raw logs in results/gpu_leases/):
# separate processes time-slice the GPU (no MPS): nvidia-smi dmon read 97-99% busy with 3, 6 and 12-16 processes, so
# its throughput is shared, not multiplied. Session 7, 16 processes: each ran at about one CPU thread's speed (MAML
# 804 iterations in 150 s, this CPU 951); 12 one-condition label-noise jobs side by side finished none in 268 s.
# Session 8 (this layout, --window=520 --gpu-slots=6 --cpu-slots=10): a label-noise condition at the released
# protocol (3,000 steps, 30 snapshots, both probes, 300 test episodes) took 171-211 s six at a time (ANIL / MAML) and
# 150 s three at a time (MAML): 30-50 s of the whole GPU each, against 554 s on one thread of the 2-core CPU here; 15
# of the 18 conditions finished in the 520 s window, the last 3 in a second call (215 s window). The CPU pool's
# converged jobs took 241-369 s each on the box's cores (MAML 1,250 iterations in 150 s there, 951 here).
# So the label-noise conditions run a few at a time on the GPU and finish one after another, instead of all at the
# window's end, while the converged baselines (time-capped: 150 s of training per method) use the box's other cores.
#
# Groups:
#   stability  GPU: label noise at the released protocol, ANIL and MAML: seeds 0-2 x noise 0 / 0.15 / 0.3, one job
#              each (WCT's three seeds are in results: gpu_released_s<seed>+wct)
#   meta       CPU: converged 5-way 1-shot and 5-shot, seeds 1 and 2 (seed 0: results/meta_baselines/converged_5w*s_s0),
#              one job per method; MAML's inner lr and steps are the ones its validation sweep chose on seed 0 (0.4, 1
#              step, at both shots). 5w1s done on a lease (session 8), 5w5s on the 2-core CPU (session 9): every job
#              here now finds an ok run and is skipped (move a run away to redo it on a box).
#              Methods split over processes give the same records as one process: each method starts from
#              set_seed(seed), and the data, tasks and episodes come from the seed alone.
#   fewshot    GPU: paper preset, 5 ways;  block  paper preset;  uht  paper preset (none of the three fits a window)
# Provenance: a device machine's copy of the working tree may carry other git metadata (session 8's records read
# 670df07+dirty where the tree was 3f92937), so pass the checkout's commit in from where it was made:
#   LTDI_SOURCE_COMMIT=<git rev-parse --short HEAD, typed here>[+dirty] bash tools/gpu_studies.sh ...
# every record's params then carry that commit with `commit_from: LTDI_SOURCE_COMMIT` (without it: a warning, and
# the copy's own git answer).
# Needs the package importable (`pip install -e .`, or PYTHONPATH=. with torch, numpy, scipy, scikit-learn, pandas,
# matplotlib, tqdm, pyyaml, kanjidraw and plotly present). No network is used.
set -u
SMOKE=0; WINDOW=540; ONLY=stability,meta; GPU_SLOTS=7; CPU_SLOTS=9
num() { [[ "$2" =~ ^[0-9]+$ && "$2" -ge "$3" ]] || { echo "gpu_studies.sh: $1=$2: need a whole number >= $3" >&2; exit 2; }; }
for a in "$@"; do
  case "$a" in
    --smoke) SMOKE=1 ;;
    --window=*) WINDOW="${a#--window=}"; num --window "$WINDOW" 10 ;;
    --gpu-slots=*) GPU_SLOTS="${a#--gpu-slots=}"; num --gpu-slots "$GPU_SLOTS" 1 ;;
    --cpu-slots=*) CPU_SLOTS="${a#--cpu-slots=}"; num --cpu-slots "$CPU_SLOTS" 0 ;;
    --only=*) ONLY="${a#--only=}" ;;
    *) echo "gpu_studies.sh: unknown argument '$a' (allowed: --smoke, --window=SECONDS, --gpu-slots=N, --cpu-slots=N, --only=GROUP,...)" >&2; exit 2 ;;
  esac
done
for g in ${ONLY//,/ }; do
  case "$g" in fewshot|block|meta|stability|uht) ;; *) echo "gpu_studies.sh: --only: unknown group '$g' (allowed: fewshot, block, meta, stability, uht)" >&2; exit 2 ;; esac
done
cd "$(dirname "$0")/.." || exit 2
if [ -n "${LTDI_CMD:-}" ]; then read -r -a LTDI <<< "$LTDI_CMD"; elif command -v ltdi >/dev/null 2>&1; then LTDI=(ltdi)
else   # no console script (a bare GPU image, PYTHONPATH=.): a shim named `ltdi`, so each record's command reads `ltdi ...`
  SHIM="$(mktemp -d /tmp/ltdi_shim.XXXX)/ltdi"
  printf '#!/usr/bin/env python3\nimport sys\nfrom ltdi_workbench.cli import main\nsys.exit(main())\n' > "$SHIM"; chmod +x "$SHIM"
  LTDI=("$SHIM"); export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
fi
if [ "$SMOKE" = 1 ]; then
  GDEV=cpu; ROOT="${SMOKE_ROOT:-$(mktemp -d /tmp/gpu_studies_smoke.XXXX)}"   # SMOKE_ROOT: reuse a folder (try the rerun path)
else
  GDEV=cuda; ROOT=results
  [ -n "${LTDI_SOURCE_COMMIT:-}" ] || echo "gpu_studies.sh: warning: LTDI_SOURCE_COMMIT is not set; the records take this copy's own git answer as their commit" >&2
  python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' \
    || { echo "gpu_studies.sh: no CUDA device visible to torch; use --smoke to test the script on the CPU" >&2; exit 2; }
fi
# fail fast (before any long work) when the package or its data cannot load
python3 -c 'import ltdi_workbench.cli, ltdi_workbench.ltdi_study, ltdi_workbench.meta_study, ltdi_workbench.stability_study
from ltdi_workbench.data import make_kanji; make_kanji(5, 2)' || { echo "gpu_studies.sh: the package or the kanji data does not load" >&2; exit 2; }
export LTDI_THREADS="${LTDI_THREADS:-1}" MPLBACKEND=Agg PYTHONUNBUFFERED=1
want() { [[ ",$ONLY," == *",$1,"* ]]; }
GJOBS=(); CJOBS=()   # "group|folder|run|preset|need|args": need = seconds of window a job needs to be worth starting
add() { if [ "$1" = gpu ]; then GJOBS+=("$2|$3|$4|$5|$6|$7"); else CJOBS+=("$2|$3|$4|$5|$6|$7"); fi; }
if want stability; then
  for s in 0 1 2; do for m in anil maml; do for n in 0 0.15 0.3; do
    add gpu stability stability_noise "gpu_released_s$s+${m}_noise$n" released 150 "--study noise --seeds $s --methods $m --noise $n"
  done; done; done
fi
if want meta; then
  for shots in 1 5; do for s in 1 2; do
    m="--ways 5 --shots $shots --seed $s"; r="converged_5w${shots}s_s$s"
    add cpu meta meta_baselines "$r" converged 330 "$m --methods maml --no-tune-maml --inner-lr 0.4 --inner-steps 1"
    for x in fomaml anil reptile reptile_mb protonet; do
      add cpu meta meta_baselines "$r+$x" converged 330 "$m --methods $x"
    done
    add cpu meta meta_baselines "$r+wct" converged 400 "$m --methods wct wct_proto"   # the read-out reuses WCT's training
  done; done
fi
want fewshot && add gpu fewshot ltdi_fewshot gpu_paper_w5_s0 paper 0 "--ways 5 --seed 0"
want block && add gpu block ltdi_block gpu_paper_s0 paper 0 "--seed 0"
want uht && add gpu uht dhm_uht gpu_paper_s0 paper 0 "--seed 0"
[ "$((${#GJOBS[@]} + ${#CJOBS[@]}))" -gt 0 ] || { echo "gpu_studies.sh: no jobs selected" >&2; exit 2; }
[ "${#CJOBS[@]}" -eq 0 ] || [ "$CPU_SLOTS" -gt 0 ] || { echo "gpu_studies.sh: CPU jobs selected but --cpu-slots=0" >&2; exit 2; }
LOGS="$ROOT/gpu_leases/$(date +%F_%H%M)"; mkdir -p "$LOGS"   # each job's log and the summary (jobs.tsv) of this call
END=$(( $(date +%s) + WINDOW ))
echo "$(date +%T) ${#GJOBS[@]} GPU jobs ($GPU_SLOTS at once, on $GDEV) and ${#CJOBS[@]} CPU jobs ($CPU_SLOTS at once) in a ${WINDOW}s window; records under $ROOT, logs in $LOGS"
status_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("status","?"))' "$1/params.json" 2>/dev/null || echo none; }
pool() {   # pool DEVICE SLOTS JOB...: the jobs in order, at most SLOTS at once, none started without its need left
  local dev=$1 slots=$2 j; shift 2
  for j in "$@"; do
    IFS='|' read -r group folder run preset need args <<< "$j"
    local out="$ROOT/$folder/$run" f="$folder.$run" p=$preset ow=()
    [ "$SMOKE" = 1 ] && { p=smoke; need=0; }
    local st; st=$(status_of "$out")
    if [ "$st" = ok ]; then echo "    skip $out: it holds an ok run (move it away to rerun)"; continue; fi
    [ "$st" = none ] || ow=(--overwrite)
    while [ "$(jobs -rp | wc -l)" -ge "$slots" ]; do wait -n; done
    local left=$(( END - $(date +%s) ))
    if [ "$left" -lt "$need" ] || [ "$left" -lt 5 ]; then echo "    not started $out: ${left}s left in the window, it needs ${need}s"; echo "- 0" > "$LOGS/$f.rc"; continue; fi
    mkdir -p "$(dirname "$out")"
    read -r -a argv <<< "$args"
    echo "    $(date +%T) ltdi $group --preset $p --device $dev ${args} --out $out ${ow[*]} (${left}s left)"
    ( t0=$SECONDS
      timeout --signal=INT --kill-after=30 "$left" "${LTDI[@]}" "$group" --preset "$p" --device "$dev" "${argv[@]}" --out "$out" "${ow[@]}" \
        > "$LOGS/$f.log" 2>&1
      echo "$? $((SECONDS - t0))" > "$LOGS/$f.rc"; echo "    $(date +%T) done $out (rc $(cut -d' ' -f1 < "$LOGS/$f.rc"))" ) &
  done
  wait
}
pool "$GDEV" "$GPU_SLOTS" "${GJOBS[@]}" &
[ "${#CJOBS[@]}" -gt 0 ] && pool cpu "$CPU_SLOTS" "${CJOBS[@]}" &
wait
ok=0; bad=0
printf 'job\trc\tseconds\tstatus\n' > "$LOGS/jobs.tsv"
for j in "${GJOBS[@]}" "${CJOBS[@]}"; do
  IFS='|' read -r group folder run rest <<< "$j"; f="$folder.$run"
  [ -e "$LOGS/$f.rc" ] || continue   # skipped: an ok run was there
  read -r rc secs < "$LOGS/$f.rc" || { rc=?; secs=?; }
  printf '%s\t%s\t%s\t%s\n' "$folder/$run" "$rc" "$secs" "$(status_of "$ROOT/$folder/$run")" >> "$LOGS/jobs.tsv"
  if [ "$rc" = 0 ]; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
  rm -f "$LOGS/$f.rc"
done
column -t "$LOGS/jobs.tsv" 2>/dev/null || cat "$LOGS/jobs.tsv"
echo "$(date +%T) done: $ok finished, $bad stopped, failed or not started; records under $ROOT, logs and jobs.tsv in $LOGS"
exit 0
