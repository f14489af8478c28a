#!/usr/bin/env bash
# One prepared command for the GPU presets of the studies (issues 14, 15): run it on a GPU box from the repo root.
#
#   bash tools/gpu_studies.sh                 # GPU presets on cuda, records into results/<study>/gpu_<preset>..._s<seed>/
#   bash tools/gpu_studies.sh --smoke         # the same jobs at smoke size on the CPU, into a temp folder (test it here)
#   bash tools/gpu_studies.sh --share=420     # each job's wall-clock share in seconds (default 420)
#   bash tools/gpu_studies.sh --only=stability,meta   # the job groups to run (default: stability; also meta, fewshot, block, uht)
#
# The jobs run side by side, one CPU thread each, and every job gets the same wall-clock share: it is stopped with SIGINT
# when it runs past it, and the study core keeps every record it had written (status: failed, with the reason; failed
# runs are listed in RESULTS.md, never tabled), so a slow job never costs the others and the whole set ends within
# share + 30 s. A job whose --out already holds a run's params.json is skipped, so a second lease picks up what the
# first left. Each job's log and a summary (jobs.tsv: exit status, seconds, status) go to results/gpu_leases/<date_time>/.
#
# Measured on the first lease (one H200, 16 cores; session 7, records in results/*/gpu_*, jobs in NOTES): 16 jobs side
# by side kept the GPU busy 97-99% of the time (nvidia-smi dmon) and each ran at about one CPU thread's speed (MAML
# 804 iterations in 150 s, CPU 951): without MPS the processes time-slice the GPU. In 455 s: label noise, one
# condition (3,000 steps, 30 snapshots, 300 test episodes) took ~260 s, so WCT (3 levels, one job per seed) finished
# and ANIL/MAML (3 levels a job) finished only noise 0; converged baselines finished where a job held one method
# (MAML 268 s, ProtoNet 280 s, WCT with its prototype read-out 371 s), not where it held two; few-shot paper got
# through the encoder and the controls, then prepared tasks at 45 s per 1/12 of the work; block paper got through
# its encoder (53 s). A second lease of 12 one-condition jobs finished none in 268 s. So the default set below is
# one job per (seed, method, noise level) for the label-noise study: 18 jobs, ~4-5 min each side by side: a
# share of 420 s. The paper presets of few-shot and block do not fit one share (opt-in: --only=fewshot,block).
#
# Groups (seed 0 unless said; methods split over processes give the same records as one process: each method and
# condition starts from set_seed(seed), and the baselines' data, tasks and episodes come from the seed alone):
#   stability  label noise at the released protocol (3,000 steps, a snapshot every 100), ANIL and MAML: seeds 0-2 x
#              noise 0 / 0.15 / 0.3, one job each (WCT's three seeds are in results: gpu_released_s<seed>+wct)
#   meta       converged 5-way 1-shot, one job per method; MAML's inner lr and steps are the ones its validation
#              sweep chose in converged_5w1s_s0 (0.4, 1 step)
#   fewshot    paper preset, 5 ways;  block  paper preset;  uht  paper preset (none of the three fits a share)
# Needs the package importable (`pip install -e .`, or PYTHONPATH=. with torch, numpy, scipy, scikit-learn, pandas,
# matplotlib, tqdm, pyyaml, kanjidraw and plotly present). No network is used.
set -u
SMOKE=0; SHARE=420; ONLY=stability
for a in "$@"; do
  case "$a" in
    --smoke) SMOKE=1 ;;
    --share=*) SHARE="${a#--share=}" ;;
    --only=*) ONLY="${a#--only=}" ;;
    *) echo "gpu_studies.sh: unknown argument '$a' (allowed: --smoke, --share=SECONDS, --only=GROUP,...)" >&2; exit 2 ;;
  esac
done
[[ "$SHARE" =~ ^[0-9]+$ && "$SHARE" -ge 10 ]] || { echo "gpu_studies.sh: --share=$SHARE: need whole seconds >= 10" >&2; exit 2; }
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
  DEVICE=cpu; ROOT="$(mktemp -d /tmp/gpu_studies_smoke.XXXX)"
else
  DEVICE=cuda; ROOT=results
  python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' \
    || { echo "gpu_studies.sh: no CUDA device visible to torch; use --smoke to test the script on the CPU" >&2; exit 2; }
fi
# fail fast (before any long work) when the package or its data cannot load
python3 -c 'import ltdi_workbench.cli, ltdi_workbench.ltdi_study, ltdi_workbench.meta_study, ltdi_workbench.stability_study
from ltdi_workbench.data import make_kanji; make_kanji(5, 2)' || { echo "gpu_studies.sh: the package or the kanji data does not load" >&2; exit 2; }
export LTDI_THREADS="${LTDI_THREADS:-1}" MPLBACKEND=Agg PYTHONUNBUFFERED=1
want() { [[ ",$ONLY," == *",$1,"* ]]; }
JOBS=()   # "group|folder|run|preset|args"
add() { JOBS+=("$1|$2|$3|$4|$5"); }
if want stability; then
  for s in 0 1 2; do for m in anil maml; do for n in 0 0.15 0.3; do
    add stability stability_noise "gpu_released_s$s+${m}_noise$n" released "--study noise --seeds $s --methods $m --noise $n"
  done; done; done
fi
if want meta; then
  m="--ways 5 --shots 1 --seed 0"
  add meta meta_baselines gpu_converged_5w1s_s0 converged "$m --methods maml --no-tune-maml --inner-lr 0.4 --inner-steps 1"
  for x in fomaml anil reptile_mb protonet; do
    add meta meta_baselines "gpu_converged_5w1s_s0+$x" converged "$m --methods $x"
  done
  add meta meta_baselines gpu_converged_5w1s_s0+reptile_whole_task converged "$m --methods reptile"   # +reptile: the first lease's (failed) two-method job
  add meta meta_baselines gpu_converged_5w1s_s0+wct converged "$m --methods wct wct_proto"   # the read-out reuses WCT's training
fi
want fewshot && add fewshot ltdi_fewshot gpu_paper_w5_s0 paper "--ways 5 --seed 0"
want block && add block ltdi_block gpu_paper_s0 paper "--seed 0"
want uht && add uht dhm_uht gpu_paper_s0 paper "--seed 0"
[ "${#JOBS[@]}" -gt 0 ] || { echo "gpu_studies.sh: no jobs selected" >&2; exit 2; }
LOGS="$ROOT/gpu_leases/$(date +%F_%H%M)"; mkdir -p "$LOGS"   # each job's log and the summary (jobs.tsv) of this call
echo "$(date +%T) ${#JOBS[@]} jobs side by side on $DEVICE, ${SHARE}s each, records under $ROOT, logs in $LOGS"
OUTS=()
for j in "${JOBS[@]}"; do
  IFS='|' read -r group folder run preset args <<< "$j"
  p=$preset; [ "$SMOKE" = 1 ] && p=smoke
  out="$ROOT/$folder/$run"
  if [ -e "$out/params.json" ]; then echo "    skip $out: it holds a run's records (move it away to rerun)"; continue; fi
  mkdir -p "$(dirname "$out")"
  read -r -a argv <<< "$args"
  echo "    ltdi $group --preset $p --device $DEVICE ${args} --out $out"
  ( t0=$SECONDS
    timeout --signal=INT --kill-after=30 "$SHARE" "${LTDI[@]}" "$group" --preset "$p" --device "$DEVICE" "${argv[@]}" --out "$out" \
      > "$LOGS/$folder.$run.log" 2>&1
    echo "$? $((SECONDS - t0))" > "$LOGS/$folder.$run.rc" ) &
  OUTS+=("$folder/$run")
done
wait
ok=0; bad=0
printf 'job\trc\tseconds\tstatus\n' > "$LOGS/jobs.tsv"
for fr in "${OUTS[@]}"; do
  f=${fr//\//.}; read -r rc secs < "$LOGS/$f.rc" || { rc=?; secs=?; }
  st=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("status","?"))' "$ROOT/$fr/params.json" 2>/dev/null || echo none)
  printf '%s\t%s\t%s\t%s\n' "$fr" "$rc" "$secs" "$st" >> "$LOGS/jobs.tsv"
  if [ "$rc" = 0 ]; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
  rm -f "$LOGS/$f.rc"
done
column -t "$LOGS/jobs.tsv" 2>/dev/null || cat "$LOGS/jobs.tsv"
echo "$(date +%T) done: $ok finished, $bad stopped or failed; records under $ROOT, logs and jobs.tsv in $LOGS"
exit 0
