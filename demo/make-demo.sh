#!/usr/bin/env bash
# make-demo.sh: regenerates the demo catalog that `cartable serve --demo` installs.
#
# For each of the 12 demo capsules it
#   1. speaks a two-sentence narration with espeak-ng in the capsule's language,
#   2. draws a 640x360 title slide with ffmpeg (lavfi color + drawtext) and muxes
#      it with the narration into an H.264/AAC source MP4 (in a temporary dir),
#   3. writes WebVTT captions whose cues follow the measured speech durations,
#   4. transcodes the source with cartable's own pipeline
#      (`cartable media transcode SRC demo/media/<id>/`),
# then writes the worksheets (attachments) and demo/manifest.json.
#
# Only the transcoded renditions, captions, attachments and manifest are kept;
# the source MP4s and WAVs live in a mktemp dir that is deleted at the end.
#
# Run from anywhere (paths are resolved against the repository root):
#     bash demo/make-demo.sh
#     CARTABLE=/path/to/cartable bash demo/make-demo.sh   # binary to use
#                                       (default: target/debug/cartable)
#     bash demo/make-demo.sh --sources-only DIR   # only make the source MP4s,
#                 WAVs, captions and a preview PNG per capsule in DIR (kept);
#                 needs no cartable binary and leaves demo/ untouched.
#
# Needs: ffmpeg + ffprobe (with the drawtext filter, libfreetype and libfribidi
# for Arabic), espeak-ng, sox, jq, iconv, and the fonts-noto-core fonts.
# The output is reproducible byte for byte on the same tool versions: fixed
# voices and speeds, no timestamps, sox in repeatable mode without dither,
# ffmpeg bitexact flags, one x264 thread for the sources, and the transcoder
# pinned to one CPU with taskset (util-linux) when it is there.

set -euo pipefail
export LC_ALL=C.UTF-8 # ${#var} counts characters, not bytes, when wrapping titles

die() { printf 'make-demo.sh: %s\n' "$*" >&2; exit 1; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEMO=$ROOT/demo

SOURCES_ONLY=""
case "${1:-}" in
  "") ;;
  --sources-only)
    [[ -n "${2:-}" ]] || die "--sources-only needs a directory"
    mkdir -p "$2"
    SOURCES_ONLY=$(cd "$2" && pwd) ;;
  -h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
  *) die "unknown argument \"$1\" (try --help)" ;;
esac

# The cartable binary: $CARTABLE (relative to the current directory, or a
# command name on $PATH), else target/debug/cartable in the repository.
if [[ -n "${CARTABLE:-}" ]]; then
  if [[ "$CARTABLE" != */* ]]; then
    CARTABLE=$(command -v "$CARTABLE") || die "\$CARTABLE: no command \"$CARTABLE\" on PATH"
  elif [[ "$CARTABLE" != /* ]]; then
    CARTABLE=$PWD/$CARTABLE
  fi
else
  CARTABLE=$ROOT/target/debug/cartable
fi

# ---------------------------------------------------------------- tools
for tool in ffmpeg ffprobe espeak-ng sox jq iconv; do
  command -v "$tool" >/dev/null 2>&1 ||
    die "$tool is missing. On Debian/Ubuntu: apt-get install ffmpeg espeak-ng sox jq fonts-noto-core"
done
# (Outputs are captured, not piped into `grep -q`, which under pipefail would
# fail the pipeline when ffmpeg gets SIGPIPE.)
[[ "$(ffmpeg -hide_banner -filters 2>/dev/null)" == *" drawtext "* ]] ||
  die "this ffmpeg has no drawtext filter (it needs to be built with libfreetype)"
# Arabic titles are drawn in Arabic: drawtext reorders and joins them with
# libfribidi (ffmpeg 5.1 has no libharfbuzz shaping, but fribidi's Arabic
# presentation forms are enough for Noto Sans Arabic). Without fribidi the
# letters would come out unjoined and left-to-right, so refuse.
[[ "$(ffmpeg -hide_banner -buildconf 2>/dev/null)" == *--enable-libfribidi* ]] ||
  die "this ffmpeg is built without libfribidi, so drawtext cannot draw Arabic"
FONT_DIR=/usr/share/fonts/truetype/noto
FONT_LATIN_BOLD=$FONT_DIR/NotoSans-Bold.ttf
FONT_LATIN=$FONT_DIR/NotoSans-Regular.ttf
FONT_ARABIC_BOLD=$FONT_DIR/NotoSansArabic-Bold.ttf
FONT_ARABIC=$FONT_DIR/NotoSansArabic-Regular.ttf
for f in "$FONT_LATIN_BOLD" "$FONT_LATIN" "$FONT_ARABIC_BOLD" "$FONT_ARABIC"; do
  [[ -f "$f" ]] || die "font $f is missing (apt-get install fonts-noto-core)"
done
if [[ -z "$SOURCES_ONLY" ]]; then
  [[ -x "$CARTABLE" ]] || die "no cartable binary at $CARTABLE: build it (cargo build) or set \$CARTABLE"
  "$CARTABLE" media transcode --help >/dev/null 2>&1 ||
    die "$CARTABLE has no working \`media transcode\` command"
fi

# ---------------------------------------------------------------- content
# The catalog: programmes, capsules and the labels drawn on the slides.
# `narration` maps languages to the caption cues (one sentence per cue); the
# capsule's own language is the one spoken, the others are caption translations
# with the same timings. The transcript is the spoken narration.
CATALOG=$(cat <<'JSON'
{
  "labels": {
    "levels": {
      "primary-5": {"ar": "المستوى الخامس ابتدائي", "fr": "5e année du primaire", "en": "Primary, year 5"},
      "secondary-1": {"ar": "السنة الأولى إعدادي", "fr": "1re année du collège", "en": "Lower secondary, year 1"},
      "bac-2": {"ar": "السنة الثانية بكالوريا", "fr": "2e année du baccalauréat", "en": "2nd year baccalaureate"}
    },
    "subjects": {
      "mathematics": {"ar": "الرياضيات", "fr": "Mathématiques", "en": "Mathematics"},
      "physics-chemistry": {"ar": "الفيزياء والكيمياء", "fr": "Physique-chimie", "en": "Physics and chemistry"},
      "life-earth-sciences": {"ar": "علوم الحياة والأرض", "fr": "Sciences de la vie et de la Terre", "en": "Life and earth sciences"}
    }
  },
  "programmes": [
    {"id": "math-primary-5",
     "titles": {"ar": "الرياضيات — المستوى الخامس ابتدائي", "fr": "Mathématiques — 5e année du primaire", "en": "Mathematics — primary 5"},
     "summaries": {"ar": "الكسور والأعداد العشرية والمساحات والزوايا: أربعة دروس قصيرة.",
                   "fr": "Fractions, nombres décimaux, aires et angles : quatre leçons courtes.",
                   "en": "Fractions, decimal numbers, areas and angles: four short lessons."},
     "level": "primary-5", "subject": "mathematics"},
    {"id": "sciences-bac-2",
     "titles": {"ar": "العلوم — السنة الثانية بكالوريا", "fr": "Sciences — 2e année du baccalauréat", "en": "Sciences — 2nd year baccalaureate"},
     "summaries": {"ar": "النشاط الإشعاعي، ثنائي القطب RC، الطاقة العضلية والخبر الوراثي.",
                   "fr": "Radioactivité, dipôle RC, énergie musculaire et information génétique.",
                   "en": "Radioactivity, RC circuits, muscle energy and genetic information."},
     "level": "bac-2"}
  ],
  "capsules": [
    {"id": "fractions-same-denominator", "lang": "fr", "level": "primary-5", "subject": "mathematics",
     "programme": "math-primary-5", "position": 1,
     "titles": {"fr": "Fractions : additionner avec le même dénominateur",
                "ar": "الكسور: جمع كسرين لهما نفس المقام",
                "en": "Fractions: adding with the same denominator"},
     "summaries": {"fr": "Pour additionner deux fractions de même dénominateur, on additionne les numérateurs et on garde le dénominateur.",
                   "ar": "لجمع كسرين لهما نفس المقام، نجمع البسطين ونحتفظ بالمقام.",
                   "en": "To add two fractions with the same denominator, add the numerators and keep the denominator."},
     "narration": {"fr": ["On additionne les numérateurs et on garde le dénominateur.",
                          "Un quart plus deux quarts égale trois quarts."],
                   "en": ["Add the numerators and keep the denominator.",
                          "One quarter plus two quarters equals three quarters."]},
     "attachments": ["fractions-worksheet.pdf"],
     "tags": ["fractions", "addition", "arithmetic"]},

    {"id": "comparing-decimal-numbers", "lang": "ar", "level": "primary-5", "subject": "mathematics",
     "programme": "math-primary-5", "position": 2,
     "titles": {"ar": "مقارنة الأعداد العشرية", "fr": "Comparer des nombres décimaux", "en": "Comparing decimal numbers"},
     "summaries": {"ar": "نقارن أولا الأجزاء الصحيحة، ثم الأرقام بعد الفاصلة رقما رقما.",
                   "fr": "On compare d'abord les parties entières, puis les chiffres après la virgule, un par un.",
                   "en": "Compare the whole-number parts first, then the digits after the decimal point, one by one."},
     "narration": {"ar": ["نقارن الجزء الصحيح أولا.",
                          "ثم الأرقام بعد الفاصلة."],
                   "fr": ["On compare d'abord la partie entière.",
                          "Puis les chiffres après la virgule."]},
     "tags": ["decimals", "comparison", "numbers"]},

    {"id": "rectangle-area", "lang": "en", "level": "primary-5", "subject": "mathematics",
     "programme": "math-primary-5", "position": 3,
     "titles": {"en": "The area of a rectangle", "fr": "L'aire du rectangle", "ar": "مساحة المستطيل"},
     "summaries": {"en": "The area of a rectangle is its length times its width, in square units.",
                   "fr": "L'aire d'un rectangle est le produit de sa longueur par sa largeur, en unités carrées.",
                   "ar": "مساحة المستطيل هي جداء طوله في عرضه، بالوحدات المربعة."},
     "narration": {"en": ["Area equals length times width.",
                          "Five by three centimetres gives fifteen square centimetres."]},
     "attachments": ["rectangle-area-worksheet.txt"],
     "tags": ["area", "geometry", "measurement"]},

    {"id": "measuring-angles", "lang": "ar", "level": "primary-5", "subject": "mathematics",
     "programme": "math-primary-5", "position": 4,
     "titles": {"ar": "قياس الزوايا بالمنقلة"},
     "summaries": {"ar": "نضع مركز المنقلة على رأس الزاوية، ثم نقرأ قياسها بالدرجات."},
     "narration": {"ar": ["نضع المنقلة على رأس الزاوية.",
                          "ثم نقرأ القياس بالدرجات."]},
     "tags": ["angles", "geometry", "protractor"]},

    {"id": "water-cycle", "lang": "fr", "level": "secondary-1", "subject": "physics-chemistry",
     "titles": {"fr": "Le cycle de l'eau", "ar": "دورة الماء في الطبيعة", "en": "The water cycle"},
     "summaries": {"fr": "L'eau s'évapore, se condense en nuages puis retombe en précipitations : c'est le cycle de l'eau.",
                   "ar": "يتبخر الماء ثم يتكاثف على شكل سحب ثم يسقط على شكل تساقطات: هذه هي دورة الماء.",
                   "en": "Water evaporates, condenses into clouds and falls back as rain or snow: this is the water cycle."},
     "narration": {"fr": ["Le soleil chauffe l'eau, qui s'évapore.",
                          "La vapeur se condense en nuages, puis retombe en pluie."],
                   "ar": ["تسخن الشمس الماء فيتبخر.",
                          "يتكاثف البخار على شكل سحب، ثم يسقط مطرا."]},
     "tags": ["water", "states-of-matter", "environment"]},

    {"id": "states-of-matter", "lang": "en", "level": "secondary-1", "subject": "physics-chemistry",
     "titles": {"en": "The three states of matter", "fr": "Les trois états de la matière", "ar": "الحالات الفيزيائية الثلاث للمادة"},
     "summaries": {"en": "Matter can be solid, liquid or gas; heating or cooling it makes it change state.",
                   "fr": "La matière peut être solide, liquide ou gazeuse ; la chauffer ou la refroidir la fait changer d'état.",
                   "ar": "توجد المادة في الحالة الصلبة أو السائلة أو الغازية، ويؤدي التسخين أو التبريد إلى تغيير حالتها."},
     "narration": {"en": ["Matter can be solid, liquid or gas.",
                          "Ice melts into water, and water boils into steam."]},
     "tags": ["matter", "states-of-matter"]},

    {"id": "food-chains", "lang": "ar", "level": "secondary-1", "subject": "life-earth-sciences",
     "titles": {"ar": "السلاسل الغذائية", "fr": "Les chaînes alimentaires", "en": "Food chains"},
     "summaries": {"ar": "تبين السلسلة الغذائية من يتغذى على من في وسط طبيعي، بدءا بالنباتات الخضراء.",
                   "fr": "Une chaîne alimentaire montre qui mange qui dans un milieu, en commençant par les plantes vertes.",
                   "en": "A food chain shows who eats whom in an environment, starting with green plants."},
     "narration": {"ar": ["كل كائن يتغذى على سابقه.",
                          "العشب، فالجرادة، فالطائر."],
                   "en": ["Each living thing eats the one before it.",
                          "Grass, then grasshopper, then bird."]},
     "attachments": ["food-chains-worksheet.txt"],
     "tags": ["ecology", "food-chains"]},

    {"id": "human-breathing", "lang": "fr", "level": "secondary-1", "subject": "life-earth-sciences",
     "titles": {"fr": "La respiration chez l'être humain"},
     "summaries": {"fr": "À l'inspiration, l'air riche en dioxygène entre dans les poumons ; à l'expiration, il ressort chargé de dioxyde de carbone."},
     "narration": {"fr": ["À l'inspiration, l'air entre dans les poumons.",
                          "À l'expiration, il ressort chargé de gaz carbonique."]},
     "tags": ["respiration", "human-body"]},

    {"id": "radioactive-decay", "lang": "fr", "level": "bac-2", "subject": "physics-chemistry",
     "programme": "sciences-bac-2", "position": 1,
     "titles": {"fr": "La loi de décroissance radioactive", "ar": "قانون التناقص الإشعاعي", "en": "The law of radioactive decay"},
     "summaries": {"fr": "Le nombre de noyaux radioactifs décroît selon N(t) = N0·e^(−λt) ; il est divisé par deux à chaque demi-vie.",
                   "ar": "يتناقص عدد النوى المشعة وفق القانون N(t) = N0·e^(−λt)، وينقسم على اثنين خلال كل عمر نصف.",
                   "en": "The number of radioactive nuclei falls as N(t) = N0·e^(−λt); it halves with every half-life."},
     "narration": {"fr": ["Le nombre de noyaux radioactifs décroît de façon exponentielle.",
                          "À chaque demi-vie, il est divisé par deux."]},
     "tags": ["radioactivity", "nuclear-physics", "exponential"]},

    {"id": "rc-circuit-charging", "lang": "en", "level": "bac-2", "subject": "physics-chemistry",
     "programme": "sciences-bac-2", "position": 2,
     "titles": {"en": "Charging a capacitor in an RC circuit", "fr": "La charge d'un condensateur dans un dipôle RC", "ar": "شحن مكثف في ثنائي القطب RC"},
     "summaries": {"en": "The capacitor's voltage rises as E(1 − e^(−t/τ)), where τ = RC is the time constant.",
                   "fr": "La tension aux bornes du condensateur croît selon E(1 − e^(−t/τ)), où τ = RC est la constante de temps.",
                   "ar": "يتزايد التوتر بين مربطي المكثف وفق E(1 − e^(−t/τ))، حيث τ = RC ثابتة الزمن."},
     "narration": {"en": ["The capacitor charges through the resistor.",
                          "After one time constant, it is at sixty-three percent."]},
     "tags": ["electricity", "capacitor", "rc-circuit"]},

    {"id": "muscle-contraction-energy", "lang": "ar", "level": "bac-2", "subject": "life-earth-sciences",
     "programme": "sciences-bac-2", "position": 3,
     "titles": {"ar": "الطاقة اللازمة للتقلص العضلي", "fr": "L'énergie de la contraction musculaire", "en": "Energy for muscle contraction"},
     "summaries": {"ar": "يستعمل العضل جزيئات ATP مصدرا مباشرا للطاقة، ويجددها بالتنفس الخلوي والتخمر.",
                   "fr": "Le muscle utilise l'ATP comme source directe d'énergie et la régénère par la respiration cellulaire et la fermentation.",
                   "en": "Muscle uses ATP as its direct source of energy and renews it through cellular respiration and fermentation."},
     "narration": {"ar": ["يحتاج العضل إلى الطاقة.",
                          "ويجددها بالتنفس الخلوي."]},
     "tags": ["muscle", "energy", "atp"]},

    {"id": "gene-to-protein", "lang": "en", "level": "bac-2", "subject": "life-earth-sciences",
     "programme": "sciences-bac-2", "position": 4,
     "titles": {"en": "From gene to protein: transcription and translation"},
     "summaries": {"en": "In the nucleus a gene is transcribed into messenger RNA, which ribosomes then translate into a protein."},
     "narration": {"en": ["A gene is copied into messenger RNA.",
                          "Ribosomes translate it into a protein."]},
     "tags": ["genetics", "protein-synthesis"]}
  ]
}
JSON
)

# Slide background per subject; the accent colour is the same for all.
declare -A BACKGROUND=([mathematics]=0x1D3557 [physics-chemistry]=0x4A1A7A [life-earth-sciences]=0x1B5E20)
ACCENT=0xFFD166
declare -A VOICE=([ar]=ar [fr]=fr [en]=en)

# Timing of the narration, in seconds: silence before the first sentence,
# between the two, and after the last; every video lasts MIN..MAX seconds.
LEAD=0.30 GAP=0.35 TAIL=0.45 MIN_DURATION=4.0 MAX_DURATION=6.0
SPEEDS=(160 170 180 190 200 215 230) # espeak-ng words per minute, slowest first

# ---------------------------------------------------------------- helpers
field() { jq -r --arg id "$1" ".capsules[] | select(.id == \$id) | $2" <<<"$CATALOG"; }
calc() { awk "BEGIN { printf \"%.3f\", $* }"; }
vtt_time() { awk -v s="$1" 'BEGIN { printf "%02d:%02d:%06.3f", int(s / 3600), int(s / 60) % 60, s - 60 * int(s / 60) }'; }

# Greedy word wrap on characters; a lone punctuation mark (French " :") stays
# on its word's line.
wrap() {
  local width=$2 line="" word
  local -a words
  read -ra words <<<"$1"
  for word in "${words[@]}"; do
    if [[ -z "$line" ]]; then line=$word
    elif [[ "$word" =~ ^[:\;?!]$ ]] || (( ${#line} + 1 + ${#word} <= width )); then line+=" $word"
    else printf '%s\n' "$line"; line=$word
    fi
  done
  [[ -z "$line" ]] || printf '%s\n' "$line"
}

# A drawtext filter reading its text from a file (no escaping trouble with
# quotes, colons or %), centred horizontally.
drawtext() { # textfile font size colour y
  printf "drawtext=textfile=%s:fontfile=%s:fontsize=%s:fontcolor=%s:x=(w-tw)/2:y=%s:expansion=none:text_shaping=1" "$@"
}

# Makes the narration WAV ($1/narration.wav) and writes the cue times to
# $1/cues ("start end" per sentence); prints the video duration and the
# speech rate used (the slowest of SPEEDS that fits in MAX_DURATION).
speak() { # dir lang sentence...
  local dir=$1 lang=$2; shift 2
  local speed i total rate sentence
  local -a durations
  for speed in "${SPEEDS[@]}"; do
    durations=()
    i=0
    for sentence in "$@"; do
      espeak-ng -v "${VOICE[$lang]}" -s "$speed" -w "$dir/raw-$i.wav" "$sentence"
      # Trim espeak-ng's own silence at both ends so cues match the voice.
      sox -R --no-dither "$dir/raw-$i.wav" "$dir/sentence-$i.wav" \
        silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse
      durations+=("$(sox --i -D "$dir/sentence-$i.wav")")
      i=$((i + 1))
    done
    total=$(calc "$LEAD + $TAIL + $(IFS=+; echo "${durations[*]}") + ($# - 1) * $GAP")
    if awk "BEGIN { exit !($total <= $MAX_DURATION) }"; then break; fi
    if [[ "$speed" == "${SPEEDS[-1]}" ]]; then
      die "the narration of $(basename "$dir") lasts ${total}s even at $speed words per minute; shorten it"
    fi
  done
  # Whole frames at 25 fps, at least MIN_DURATION.
  total=$(awk -v t="$total" -v m="$MIN_DURATION" 'BEGIN { if (t < m) t = m; printf "%.2f", int(t * 25 + 0.999) / 25 }')
  rate=$(sox --i -r "$dir/sentence-0.wav")
  # -R and --no-dither: sox would otherwise dither with a random seed.
  sox -R --no-dither -n -r "$rate" -c 1 -b 16 "$dir/lead.wav" trim 0 "$LEAD"
  sox -R --no-dither -n -r "$rate" -c 1 -b 16 "$dir/gap.wav" trim 0 "$GAP"
  local -a parts=("$dir/lead.wav")
  local t=$LEAD
  : >"$dir/cues"
  for ((i = 0; i < ${#durations[@]}; i++)); do
    ((i == 0)) || { parts+=("$dir/gap.wav"); t=$(calc "$t + $GAP"); }
    parts+=("$dir/sentence-$i.wav")
    printf '%s %s\n' "$t" "$(calc "$t + ${durations[$i]}")" >>"$dir/cues"
    t=$(calc "$t + ${durations[$i]}")
  done
  # Concatenate, then pad with silence up to the video's exact duration.
  sox -R --no-dither "${parts[@]}" "$dir/speech.wav"
  sox -R --no-dither "$dir/speech.wav" "$dir/narration.wav" pad 0 "$(calc "$total - $t")"
  printf '%s %s\n' "$total" "$speed"
}

write_vtt() { # cues-file out sentence...
  local cues=$1 out=$2; shift 2
  local n=1 start end
  {
    printf 'WEBVTT\n'
    while read -r start end; do
      printf '\n%d\n%s --> %s\n%s\n' "$n" "$(vtt_time "$start")" "$(vtt_time "$end")" "${!n:-}"
      n=$((n + 1))
    done <"$cues"
  } >"$out"
  (( n - 1 == $# )) || die "$out: $# sentences but $((n - 1)) cues"
}

# Draws the slide and muxes it with the narration into $dir/source.mp4.
make_source() { # dir id lang duration
  local dir=$1 id=$2 lang=$3 duration=$4
  local subject level bold regular size width line_height i n y filters bar_x
  subject=$(field "$id" .subject)
  level=$(field "$id" .level)
  jq -j --arg s "$subject" --arg l "$lang" '.labels.subjects[$s][$l]' <<<"$CATALOG" >"$dir/subject.txt"
  jq -j --arg v "$level" --arg l "$lang" '.labels.levels[$v][$l]' <<<"$CATALOG" >"$dir/level.txt"
  if [[ "$lang" == ar ]]; then
    bold=$FONT_ARABIC_BOLD regular=$FONT_ARABIC size=40 width=30 line_height=60
    bar_x='W-w*t/'"$duration" # the bar grows from the right, as Arabic reads
  else
    bold=$FONT_LATIN_BOLD regular=$FONT_LATIN size=36 width=26 line_height=50
    bar_x='-w+w*t/'"$duration"
  fi
  filters="$(drawtext "$dir/subject.txt" "$bold" 24 "$ACCENT" 26)"
  filters+=",$(drawtext "$dir/level.txt" "$regular" 18 white@0.85 62)"
  filters+=",drawbox=x=60:y=100:w=520:h=2:color=white@0.4:t=fill"
  mapfile -t lines < <(wrap "$(field "$id" '.titles[.lang]')" "$width")
  n=${#lines[@]}
  for ((i = 0; i < n; i++)); do
    printf '%s' "${lines[$i]}" >"$dir/title-$i.txt"
    y=$(( 225 - n * line_height / 2 + i * line_height - size / 2 ))
    filters+=",$(drawtext "$dir/title-$i.txt" "$bold" "$size" white "$y")"
  done
  ffmpeg -nostdin -hide_banner -loglevel error -y \
    -f lavfi -i "color=c=${BACKGROUND[$subject]}:s=640x360:r=25:d=$duration" \
    -f lavfi -i "color=c=$ACCENT:s=640x6:r=25:d=$duration" \
    -i "$dir/narration.wav" \
    -filter_complex "[0:v]$filters[bg];[bg][1:v]overlay=x=$bar_x:y=354:eval=frame,format=yuv420p[v]" \
    -map '[v]' -map 2:a -t "$duration" \
    -c:v libx264 -preset medium -crf 20 -threads 1 -g 50 -pix_fmt yuv420p \
    -c:a aac -b:a 96k -ar 48000 -ac 1 \
    -map_metadata -1 -fflags +bitexact -flags:v +bitexact -flags:a +bitexact \
    -movflags +faststart "$dir/source.mp4"
}

# A one-page PDF in the standard Helvetica font (Windows-1252 text, so Latin
# languages only), written by hand: no PDF tool is needed.
make_pdf() { # out title line...
  local out=$1 title=$2 offsets=() stream
  shift 2
  pdf_string() { printf '%s' "$1" | sed 's/[\\()]/\\&/g'; }
  stream=$(mktemp "$WORK/pdf.XXXX")
  {
    printf 'BT\n/F2 16 Tf\n22 TL\n56 780 Td\n(%s) Tj\n/F1 12 Tf\n18 TL\nT*\n' "$(pdf_string "$title")"
    local line
    for line in "$@"; do printf "(%s) '\n" "$(pdf_string "$line")"; done
    printf 'ET\n'
  } | iconv -f UTF-8 -t WINDOWS-1252 >"$stream"
  obj() { offsets+=("$(stat -c %s "$out")"); printf '%d 0 obj\n%s\nendobj\n' "${#offsets[@]}" "$1" >>"$out"; }
  printf '%%PDF-1.4\n%%\342\343\317\323\n' >"$out"
  obj '<< /Type /Catalog /Pages 2 0 R >>'
  obj '<< /Type /Pages /Kids [3 0 R] /Count 1 >>'
  obj '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R >>'
  offsets+=("$(stat -c %s "$out")")
  { printf '4 0 obj\n<< /Length %d >>\nstream\n' "$(stat -c %s "$stream")"; cat "$stream"; printf 'endstream\nendobj\n'; } >>"$out"
  obj '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'
  obj '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>'
  local xref o
  xref=$(stat -c %s "$out")
  {
    printf 'xref\n0 %d\n0000000000 65535 f \n' $(( ${#offsets[@]} + 1 ))
    for o in "${offsets[@]}"; do printf '%010d 00000 n \n' "$o"; done
    printf 'trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' $(( ${#offsets[@]} + 1 )) "$xref"
  } >>"$out"
  rm -f "$stream"
}

write_attachments() { # dir
  local dir=$1
  make_pdf "$dir/fractions-worksheet.pdf" "Fiche d'exercices — Additionner des fractions" \
    "5e année du primaire · Mathématiques" \
    "" \
    "Rappel : pour additionner deux fractions de même dénominateur," \
    "on additionne les numérateurs et on garde le dénominateur." \
    "Exemple : 1/4 + 2/4 = 3/4" \
    "" \
    "Calcule :" \
    "1)   1/5 + 2/5 = ........" \
    "2)   3/8 + 4/8 = ........" \
    "3)   2/7 + 2/7 + 1/7 = ........" \
    "4)   5/9 + 4/9 = ........     Que remarques-tu ?" \
    "" \
    "Problème : Salma mange 2/6 d'une galette et son frère en mange 3/6." \
    "Quelle fraction de la galette ont-ils mangée à eux deux ?" \
    "" \
    "Réponses : 1) 3/5   2) 7/8   3) 5/7   4) 9/9 = 1   Problème : 5/6" \
    "" \
    "Cartable — fiche de démonstration"
  cat >"$dir/rectangle-area-worksheet.txt" <<'TXT'
Worksheet — The area of a rectangle
Primary, year 5 · Mathematics

Remember: area = length × width, in square units.
Example: a rectangle 5 cm long and 3 cm wide has an area of 5 × 3 = 15 cm².

1. A rectangle is 7 cm long and 4 cm wide. What is its area?
2. A classroom is 8 m long and 6 m wide. What is its area?
3. A rectangle has an area of 24 cm² and is 4 cm wide. How long is it?
4. On squared paper, draw two different rectangles with an area of 12 squares.

Answers: 1. 28 cm²   2. 48 m²   3. 6 cm   4. for example 3 × 4 and 2 × 6
TXT
  cat >"$dir/food-chains-worksheet.txt" <<'TXT'
بطاقة تمارين — السلاسل الغذائية
السنة الأولى إعدادي · علوم الحياة والأرض

1. رتب الكائنات التالية في سلسلة غذائية: الجرادة، العشب، الصقر، الطائر.
2. ما هو الكائن المنتج في هذه السلسلة؟ علل جوابك.
3. ماذا يحدث للطائر إذا اختفت الجرادة من الوسط؟
4. أنجز سلسلة غذائية من وسط تعرفه تضم أربعة كائنات حية.
TXT
}

write_manifest() { # out
  jq '{
    programmes: [.programmes[] | {id, titles, summaries, level} + (if .subject then {subject} else {} end)],
    capsules: [.capsules[] | .lang as $lang | .id as $id
      | {id, lang, titles, summaries, level, subject}
      + (if .programme then {programme, position} else {} end)
      + {media: "media/\($id)",
         captions: (.narration | with_entries(.value = "captions/\($id).\(.key).vtt")),
         transcript: (.narration[$lang] | join(" "))}
      + (if .attachments then {attachments: [.attachments[] | "attachments/\(.)"]} else {} end)
      + {tags}]
  }' <<<"$CATALOG" >"$1"
}

# ---------------------------------------------------------------- main
# x264 under multi-threaded rate control does not always write the same bytes
# twice (here about one run in four differed). ffmpeg and x264 size their
# thread pools from the CPU affinity, so pinning the transcoder to one CPU
# makes re-runs rewrite identical files, whatever the machine's core count.
PIN=()
if command -v taskset >/dev/null 2>&1; then
  cpu=$(awk '/^Cpus_allowed_list/ { split($2, a, /[-,]/); print a[1] }' /proc/self/status 2>/dev/null || true)
  [[ -z "$cpu" ]] || PIN=(taskset -c "$cpu")
fi

if [[ -n "$SOURCES_ONLY" ]]; then
  WORK=$SOURCES_ONLY
  OUT=$SOURCES_ONLY
else
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/cartable-demo.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
  OUT=$WORK/demo # staged here, moved into demo/ only once everything worked
fi
mkdir -p "$OUT/media" "$OUT/captions" "$OUT/attachments"

mapfile -t IDS < <(jq -r '.capsules[].id' <<<"$CATALOG")
for id in "${IDS[@]}"; do
  [[ "$id" =~ ^[a-z0-9][a-z0-9-]{0,63}$ ]] || die "capsule id \"$id\" is not a valid id"
  lang=$(field "$id" .lang)
  dir=$WORK/sources/$id
  mkdir -p "$dir"
  mapfile -t spoken < <(field "$id" '.narration[.lang][]')
  duration=""
  read -r duration speed < <(speak "$dir" "$lang" "${spoken[@]}") || true
  [[ -n "$duration" ]] || die "could not make the narration of $id"
  for caption_lang in $(field "$id" '.narration | keys_unsorted[]'); do
    mapfile -t sentences < <(field "$id" ".narration.$caption_lang[]")
    write_vtt "$dir/cues" "$OUT/captions/$id.$caption_lang.vtt" "${sentences[@]}"
  done
  make_source "$dir" "$id" "$lang" "$duration"
  printf '%-28s %s  %5ss  %3s wpm  %s\n' "$id" "$lang" "$duration" "$speed" \
    "$(sox "$dir/narration.wav" -n stat 2>&1 | awk '/RMS +amplitude/ { print "RMS amplitude " $3 }')"
  if [[ -n "$SOURCES_ONLY" ]]; then
    ffmpeg -nostdin -hide_banner -loglevel error -y -ss 1 -i "$dir/source.mp4" -frames:v 1 "$SOURCES_ONLY/$id.png"
  else
    "${PIN[@]}" "$CARTABLE" media transcode "$dir/source.mp4" "$OUT/media/$id/" >"$dir/transcode.log" 2>&1 ||
      { cat "$dir/transcode.log" >&2; die "cartable media transcode failed for $id"; }
    [[ -f "$OUT/media/$id/renditions.json" ]] || die "the transcoder wrote no renditions.json for $id"
    rm -rf "$dir" # the source MP4 and WAVs are no longer needed
  fi
done

write_attachments "$OUT/attachments"
write_manifest "$OUT/manifest.json"
jq -e . "$OUT/manifest.json" >/dev/null || die "the manifest is not valid JSON"
[[ -z "$SOURCES_ONLY" ]] || { echo "sources, captions and previews are in $SOURCES_ONLY"; exit 0; }

# Swap the new output in, leaving the script and README alone.
rm -rf "$DEMO/media" "$DEMO/captions" "$DEMO/attachments" "$DEMO/manifest.json"
mv "$OUT/media" "$OUT/captions" "$OUT/attachments" "$OUT/manifest.json" "$DEMO/"
size_kb=$(du -sk "$DEMO" | cut -f1)
echo "demo/ is $((size_kb / 1024)).$(( (size_kb % 1024) * 10 / 1024 )) MB: ${#IDS[@]} capsules, manifest at demo/manifest.json"
(( size_kb <= 6 * 1024 )) || echo "make-demo.sh: warning: demo/ is larger than 6 MB" >&2
