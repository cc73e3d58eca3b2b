#!/usr/bin/env bash
# make-library.sh: regenerates the demo library that `cartable serve --demo`
# installs (demo/library): one short audiobook with three chapters, a
# story-time series of two episodes, and the first lesson of the literacy
# path (three Arabic letters, with prompts in Arabic, French and English).
#
# Every voice is espeak-ng's (the book through `cartable tts`, so it is
# marked synthetic); the pictures are drawn here (SVG, and a cover by
# ffmpeg). The sources are imported with cartable's own commands into a
# scratch data directory, then written out with `cartable library export`,
# so the demo needs no ffmpeg and no espeak-ng at run time.
#
#     bash demo/make-library.sh
#     CARTABLE=/path/to/cartable bash demo/make-library.sh
#
# Needs: ffmpeg, espeak-ng, jq, and cartable built (default:
# $CARGO_TARGET_DIR/debug/cartable, else target/debug/cartable).

set -euo pipefail
export LC_ALL=C.UTF-8

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/demo/library
CARTABLE=${CARTABLE:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/cartable}
[[ -x "$CARTABLE" ]] || { echo "make-library.sh: no cartable binary at $CARTABLE (cargo build first)" >&2; exit 1; }
for tool in ffmpeg espeak-ng jq; do
  command -v "$tool" >/dev/null || { echo "make-library.sh: $tool is needed" >&2; exit 1; }
done

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
SRC=$TMP/src
mkdir -p "$SRC"

speak() { # voice text out.wav
  espeak-ng -v "$1" -s 140 -w "$3" "$2"
}

# ---------------------------------------------------------------- the book
cat > "$TMP/puits.txt" <<'EOF'
# Le puits
Au milieu du village, il y avait un vieux puits. Les enfants disaient qu'une voix en sortait la nuit.
# La voix
Un soir, Amina se pencha sur le puits et demanda : qui es-tu ? La voix répondit : je suis l'écho de tes mots.
# Le matin
Au matin, Amina raconta tout à sa grand-mère, qui sourit. Le puits, dit-elle, garde les histoires de tout le village.
EOF
"$CARTABLE" tts "$TMP/puits.txt" --lang fr --title "Le puits du village" \
  --author "Médiathèque de démonstration" -o "$SRC/le-puits-du-village"
ffmpeg -loglevel error -y -f lavfi -i "color=c=0x2b6a8f:s=400x400" -frames:v 1 \
  -vf "drawbox=x=120:y=200:w=160:h=120:color=0x8a6d4b:t=fill,drawbox=x=110:y=190:w=180:h=18:color=0x5c4630:t=fill,drawbox=x=135:y=90:w=12:h=110:color=0x5c4630:t=fill,drawbox=x=253:y=90:w=12:h=110:color=0x5c4630:t=fill,drawbox=x=125:y=80:w=150:h=14:color=0x5c4630:t=fill,drawbox=x=0:y=320:w=400:h=80:color=0x6b8e23:t=fill" \
  "$SRC/le-puits-du-village/cover.png"
jq '.id = "le-puits-du-village" | .cover = "cover.png"
    | .description = "Un court conte en trois chapitres, lu par une voix de synthèse : un puits, une voix la nuit, et une grand-mère qui sait."' \
  "$SRC/le-puits-du-village/book.json" > "$TMP/book.json"
mv "$TMP/book.json" "$SRC/le-puits-du-village/book.json"

# -------------------------------------------------------------- the series
mkdir -p "$SRC/heure-du-conte"
speak fr "L'heure du conte, épisode un. Le chat et la lune. Chaque nuit, le chat montait sur le toit pour parler à la lune." "$SRC/heure-du-conte/e1.wav"
speak fr "L'heure du conte, épisode deux. Le renard du souk. Le renard voulait tout acheter, mais il n'avait que des histoires à donner." "$SRC/heure-du-conte/e2.wav"
cat > "$SRC/heure-du-conte/series.json" <<'EOF'
{
  "title": "L'heure du conte",
  "author": "Médiathèque de démonstration",
  "lang": "fr",
  "description": "Chaque mercredi, un conte court pour les enfants.",
  "episodes": [
    {"id": "ep-1", "title": "Le chat et la lune", "published": "2026-05-06", "file": "e1.wav"},
    {"id": "ep-2", "title": "Le renard du souk", "published": "2026-05-13", "file": "e2.wav"}
  ]
}
EOF

# ------------------------------------------------------ the literacy lesson
LIT=$TMP/literacy
mkdir -p "$LIT/pictures" "$LIT/sounds"
svg() { # name body
  printf '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48" width="240" height="240">%s</svg>\n' "$2" > "$LIT/pictures/$1.svg"
}
svg door '<rect x="12" y="4" width="24" height="42" rx="2" fill="#8a5a2b"/><rect x="15" y="8" width="18" height="16" fill="#a8743e"/><rect x="15" y="27" width="18" height="16" fill="#a8743e"/><circle cx="31" cy="26" r="2" fill="#f5c400"/>'
svg apple '<path d="M24 14c-6-5-19-3-19 11 0 11 8 20 13 20 3 0 4-2 6-2s3 2 6 2c5 0 13-9 13-20 0-14-13-16-19-11z" fill="#d62d20"/><path d="M24 14c0-5 2-9 6-11" stroke="#6b4423" stroke-width="3" fill="none"/><path d="M26 9c4-4 9-3 11-1-3 3-8 3-11 1z" fill="#3a9d23"/>'
svg fish '<path d="M4 24c8-12 22-14 32 0-10 14-24 12-32 0z" fill="#1f77b4"/><path d="M34 24l11-9v18z" fill="#1f77b4"/><circle cx="14" cy="21" r="2.5" fill="#fff"/>'
svg letters '<rect width="48" height="48" rx="6" fill="#fff8e1"/><rect x="6" y="30" width="36" height="4" rx="2" fill="#1f5f8b"/><circle cx="13" cy="38" r="2.5" fill="#1f5f8b"/><circle cx="22" cy="20" r="2.5" fill="#1f5f8b"/><circle cx="27" cy="20" r="2.5" fill="#1f5f8b"/><path d="M32 30v-10M38 30v-10M44 30v-10" stroke="#1f5f8b" stroke-width="3"/>'
speak ar "بَ. بَاب." "$LIT/sounds/ba.wav"
speak ar "تَ. تُفَّاحَة." "$LIT/sounds/ta.wav"
speak ar "سَ. سَمَكَة." "$LIT/sounds/sa.wav"
speak ar "الحُرُوف: بَ، تَ، سَ." "$LIT/sounds/lesson-1.wav"
prompts() { # voice lang welcome signin listen repeat next back home practice choose right wrong done
  local voice=$1 lang=$2; shift 2
  local texts=("$@")
  local keys=(welcome signin listen repeat next back home practice choose right wrong done)
  local json="{"
  mkdir -p "$LIT/prompts/$lang"
  for i in "${!keys[@]}"; do
    speak "$voice" "${texts[$i]}" "$LIT/prompts/$lang/${keys[$i]}.wav"
    json+="\"${keys[$i]}\": \"prompts/$lang/${keys[$i]}.wav\""
    [[ $i -lt $((${#keys[@]} - 1)) ]] && json+=", "
  done
  echo "$json}"
}
AR=$(prompts ar ar "اختر درسا." "ادخل بصورك." "استمع." "استمع وردد بعدي." "التالي." "رجوع." "الدروس." "تمرن." "المس صورة ما تسمع." "أحسنت!" "حاول مرة أخرى." "انتهى الدرس. أحسنت!")
FR=$(prompts fr fr "Choisis une leçon." "Connecte-toi avec tes images." "Écoute." "Écoute et répète après moi." "Suivant." "Retour." "Les leçons." "Entraîne-toi." "Touche l'image de ce que tu entends." "Bravo !" "Essaie encore." "La leçon est finie. Bravo !")
EN=$(prompts en en "Choose a lesson." "Sign in with your pictures." "Listen." "Listen and repeat after me." "Next." "Back." "The lessons." "Practise." "Touch the picture of what you hear." "Well done!" "Try again." "The lesson is finished. Well done!")
jq -n --argjson ar "$AR" --argjson fr "$FR" --argjson en "$EN" '{
  id: "alif-ba", title: "Alif, ba : lire l'\''arabe", lang: "ar",
  prompts: {ar: $ar, fr: $fr, en: $en},
  lessons: [{
    id: "ba-ta-sa", stage: "letters", title: "ب ت س",
    picture: "pictures/letters.svg", sound: "sounds/lesson-1.wav",
    items: [
      {id: "ba", text: "ب", label: "بَاب (a door, une porte)", picture: "pictures/door.svg", sound: "sounds/ba.wav"},
      {id: "ta", text: "ت", label: "تُفَّاحَة (an apple, une pomme)", picture: "pictures/apple.svg", sound: "sounds/ta.wav"},
      {id: "sa", text: "س", label: "سَمَكَة (a fish, un poisson)", picture: "pictures/fish.svg", sound: "sounds/sa.wav"}
    ]
  }]
}' > "$LIT/literacy.json"

# ------------------------------------------------- import, then export
DATA=$TMP/data
"$CARTABLE" --data-dir "$DATA" import library "$SRC"
"$CARTABLE" --data-dir "$DATA" import literacy "$LIT"
rm -rf "$OUT"
"$CARTABLE" --data-dir "$DATA" library export "$OUT"
du -sh "$OUT"
