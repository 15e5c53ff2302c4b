# median(list): the median of the numbers in a space-separated list (the
# mean of the two middle ones for an even count). The one median of the
# benchmark scripts: ci/lib.sh's median_awk puts it in front of an awk
# program, and its median reads one number per line.
function median(list,   a, n, i, j, t) {
  n = split(list, a, " ")
  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
