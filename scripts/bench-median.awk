# The median (by value, field 5) of each case's rounds in a bench CSV
# (bench/bench_util.h's lines: bench,variant,impl,metric,value,unit,reps,
# cpu_s,wall_s,"note"), one line per case with field 7 set to the count of
# rounds; the note (field 10 on, quoted) may hold commas and is kept as it
# was. Used by scripts/bench-tap.sh and scripts/bench-xdp.sh.
BEGIN { FS = "," }
{ key = $1 FS $2 FS $3 FS $4; n[key]++; line[key, n[key]] = $0; val[key, n[key]] = $5 + 0 }
END {
  for (k in n) {
    m = n[k]
    for (i = 1; i <= m; i++) idx[i] = i
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
      if (val[k, idx[j]] < val[k, idx[i]]) { t = idx[i]; idx[i] = idx[j]; idx[j] = t }
    split(line[k, idx[int((m + 1) / 2)]], f, ",")
    rest = line[k, idx[int((m + 1) / 2)]]
    for (i = 1; i <= 9; i++) sub(/^[^,]*,/, "", rest)
    print f[1] "," f[2] "," f[3] "," f[4] "," f[5] "," f[6] "," m "," f[8] "," f[9] "," rest
  }
}
