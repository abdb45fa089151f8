#!/usr/bin/env bash
# Install what the SIP adapter and its SIPp tests need, where it is missing (idempotent):
#   baresip-core  the SIP user agent the adapter drives (baresip)
#   sip-tester    SIPp, the callee in the tests (sipp)
#   espeak-ng, sox  render text-only prompts to 8 kHz WAV, and the AMD clip set
#                   (scripts/make_amd_clips.py)
# Debian/Ubuntu only (apt-get); as root or through sudo. SIPp plays RTP captures from a
# raw socket: a non-root test run needs CAP_NET_RAW on it, given here with setcap.
set -euo pipefail

declare -A package=([baresip]=baresip-core [sipp]=sip-tester [espeak-ng]=espeak-ng [sox]=sox)
missing=()
for tool in baresip sipp espeak-ng sox; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${package[$tool]}")
done

as_root=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "telephony.sh: need root or sudo" >&2; exit 1; }
  as_root=(sudo -n)
fi

if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
fi

if [ "$(id -u)" != 0 ]; then
  sipp_bin="$(command -v sipp)"
  if ! getcap "$sipp_bin" 2>/dev/null | grep -q cap_net_raw; then
    command -v setcap >/dev/null 2>&1 \
      || DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq libcap2-bin
    "${as_root[@]}" setcap cap_net_raw,cap_net_admin+ep "$sipp_bin"
  fi
fi

# versions for the CI log (both print them with a non-zero status)
{ baresip -h 2>&1 || true; } | head -n 1
{ sipp -v 2>&1 || true; } | grep -m 1 SIPp || true
