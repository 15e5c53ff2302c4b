/* A shared object the declined-region tests load after cgg_init, to show what
 * cgg_decline_refresh does for modules loaded later. */
int cgg_late_module_function(int x) {
  return x * 3 + 1;
}
