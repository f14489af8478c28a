#!/usr/bin/env bash
# One prepared command for the GPU presets of every study (issues 14, 15, 16): run it on a GPU box from the repo root.
#
#   bash tools/gpu_studies.sh            # GPU presets, device cuda, records into results/<study>/gpu_<preset>_s<seed>/
#   bash tools/gpu_studies.sh --smoke    # the same steps at smoke size on the CPU, into a temp folder (test it here first)
#
# Each study gets a wall-clock share (seconds, below) and is stopped with SIGINT (the study records what it measured, status failed) when it runs past it: the study core
# keeps every record it had written (status: failed, with the reason), so a slow study never costs the others.
# The shares add up to 7.5 minutes: the whole set is sized for one H100/H200-class GPU in under 8 minutes. GPU times of
# these presets were never measured (no device was lent when this was written): the first run on a GPU is the
# measurement, and each run's params.json says how long it took and whether it finished.
# Needs the package importable (`pip install -e .`, or PYTHONPATH=. with torch, numpy, scipy, scikit-learn, pandas,
# matplotlib, plotly, tqdm, pyyaml present). No network is used.
set -u
SMOKE=0; SEED=0
for a in "$@"; do
  case "$a" in
    --smoke) SMOKE=1 ;;
    --seed=*) SEED="${a#--seed=}" ;;
    *) echo "gpu_studies.sh: unknown argument '$a' (allowed: --smoke, --seed=N)" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.." || exit 2
if [ -n "${LTDI_CMD:-}" ]; then read -r -a LTDI <<< "$LTDI_CMD"; elif command -v ltdi >/dev/null 2>&1; then LTDI=(ltdi); else LTDI=(python -c 'import sys; from ltdi_workbench.cli import main; sys.exit(main())'); fi
if [ "$SMOKE" = 1 ]; then
  DEVICE=cpu; ROOT="$(mktemp -d /tmp/gpu_studies_smoke.XXXX)"; SCALE=0
else
  DEVICE=cuda; ROOT=results; SCALE=1
  python -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' \
    || { echo "gpu_studies.sh: no CUDA device visible to torch; use --smoke to test the script on the CPU" >&2; exit 2; }
fi
export LTDI_THREADS="${LTDI_THREADS:-4}" MPLBACKEND=Agg
ok=0; bad=0
# study  folder  gpu-preset  share-seconds  extra arguments
run() {
  local cmd=$1 folder=$2 preset=$3 share=$4; shift 4
  local p=$preset; [ "$SMOKE" = 1 ] && p=smoke && share=300
  local out="$ROOT/$folder/gpu_${preset}_s${SEED}"
  [ "$SMOKE" = 1 ] && out="$ROOT/$folder/smoke_s${SEED}"
  mkdir -p "$(dirname "$out")"
  echo "$(date +%T) ltdi $cmd --preset $p --device $DEVICE --seed $SEED $* --out $out  (share ${share}s)"
  local t0=$SECONDS
  timeout --signal=INT --kill-after=30 "$share" "${LTDI[@]}" "$cmd" --preset "$p" --device "$DEVICE" --seed "$SEED" "$@" --out "$out" \
    > "$out.log" 2>&1
  local rc=$?
  echo "    rc=$rc after $((SECONDS - t0)) s (log: $out.log)"
  if [ $rc = 0 ]; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
}
run fewshot    ltdi_fewshot    paper     120 --ways 5
run block      ltdi_block      paper      60
run meta       meta_baselines  converged  90
run stability  stability_noise released   60 --study noise --seeds "$SEED"
run stability  stability_amp   released   40 --study amp --seeds "$SEED"
run uht        dhm_uht         paper      80
echo "done: $ok finished, $bad stopped or failed; records under $ROOT"
[ "$SMOKE" = 1 ] && { ls "$ROOT"/*/*/metrics.json | wc -l; }
exit 0
