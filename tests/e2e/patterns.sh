#!/bin/bash
# include, exclude, include-file, exclude-file and filter select exactly the expected functions,
# over two source files; exclude wins over include.  Checked on ${RUN}_functions, which lists every
# instrumented function, called or not, and on the rows.
. "$(dirname "$0")/lib.sh"

# selects NAME EXPECTED PLUGIN_ARGS...: the sorted functions instrumented under PLUGIN_ARGS.
selects() {
    local name=$1 expected=$2
    shift 2
    build "$name" pat_a.c pat_b.c -O0 "$@"
    run "$name" "./$name"
    expect_eq "$name: exit status" 0 "$RC"
    expect_eq "$name: stdout" 57 "$(cat "$name.out")"
    expect_eq "$name: functions instrumented with $*" "$expected" \
        "$(qlist "SELECT name FROM ${name}_functions WHERE kind = 'function' ORDER BY name")"
    expect_eq "$name: functions with rows" "$expected" \
        "$(qlist "SELECT DISTINCT function FROM ${name}_calls ORDER BY 1")"
}

selects all "alpha_one alpha_two b_alpha b_beta beta_one helper main"
selects include "alpha_one alpha_two" +include='alpha_*'
selects include_list "alpha_one alpha_two b_alpha b_beta" +include='alpha_*,b_*'
selects include_twice "alpha_two helper" +include=alpha_two +include=helper
selects exclude "alpha_one alpha_two b_alpha helper main" +exclude='*beta*'
selects exclude_wins "alpha_one" +include='alpha_*' +exclude=alpha_two
selects include_file "b_alpha b_beta helper" +include-file='*/pat_b.c'
selects exclude_file "alpha_one alpha_two beta_one main" +exclude-file='*/pat_b.c'
selects file_and_name "b_beta" +include-file='*/pat_b.c' +include='*beta*'

cat >names.filter <<'F'
# names: two includes, one exclude; blank lines and comments are ignored

+*_one
  + b_*
-alpha_*
+helper
F
selects filter_names "b_alpha b_beta beta_one helper" +filter="$PWD/names.filter"

cat >files.filter <<'F'
+file:*/pat_b.c
- b_beta
F
selects filter_files "b_alpha helper" +filter="$PWD/files.filter"
finish
