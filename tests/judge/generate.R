# Known-answer vectors for the canary judge (src/analysis/judge/).
#
# Regenerate from the repository root with:
#   Rscript tests/judge/generate.R > tests/judge/cases.json
# (Debian: apt-get install -y r-base-core; base R only, no packages.)
#
# Each case runs
#   wilcox.test(x, y, exact = FALSE, correct = TRUE, conf.int = TRUE, conf.level = conf)
# with x = experiment (canary) and y = control (baseline), and records W, the p-value, the
# Hodges-Lehmann estimate and the interval, or R's error message when R stops.
# Numbers are written as JSON strings holding 17 significant digits, so a correctly rounding
# parser (Rust's str::parse::<f64>) gets R's exact doubles back; serde_json's default number
# parsing may be one ulp off, which moves ties in the shift search.

set.seed(20240611)

num <- function(v) {
  if (length(v) == 0) return("[]")
  paste0("[", paste(sprintf('"%.17g"', v), collapse = ", "), "]")
}

cases <- list()
add <- function(name, x, y, conf = 0.98) {
  cases[[length(cases) + 1]] <<- list(name = name, x = x, y = y, conf = conf)
}

# small and large samples, continuous
add("normal_5_7", rnorm(5, 10, 2), rnorm(7, 10, 2))
add("normal_10_10_shift", rnorm(10, 12, 2), rnorm(10, 10, 2))
add("normal_20_15", rnorm(20, 100, 15), rnorm(15, 95, 15))
add("normal_50_50_null", rnorm(50), rnorm(50))
add("normal_100_80_shift", rnorm(100, 0.3), rnorm(80))
add("normal_600_600_null", rnorm(600, 250, 40), rnorm(600, 250, 40))
add("normal_600_600_shift", rnorm(600, 265, 40), rnorm(600, 250, 40))
add("lognormal_latency_200_200", rlnorm(200, log(120), 0.4), rlnorm(200, log(110), 0.4))
add("lognormal_latency_1000_900", rlnorm(1000, log(80), 0.6), rlnorm(900, log(80), 0.6))
add("negative_values_30_30", rnorm(30, -5, 3), rnorm(30, -4, 3))
# ties
add("ties_rounded_25_25", round(rnorm(25, 5, 2)), round(rnorm(25, 5, 2)))
add("ties_poisson_40_60", rpois(40, 3), rpois(60, 4))
add("ties_poisson_300_300", rpois(300, 10), rpois(300, 10))
add("ties_heavy_binary_50_50", rbinom(50, 1, 0.3), rbinom(50, 1, 0.5))
add("ties_half_steps_80_70", round(rnorm(80, 3, 1) * 2) / 2, round(rnorm(70, 3.2, 1) * 2) / 2)
add("ties_across_only", c(1, 2, 3, 4, 5, 6), c(3, 4, 5, 6, 7, 8))
# unequal sizes
add("unequal_1_10", 4.2, rnorm(10, 4, 1))
add("unequal_10_1", rnorm(10, 4, 1), 3.3)
add("unequal_3_40", rnorm(3, 1), rnorm(40))
add("unequal_200_12", rexp(200, 1), rexp(12, 1.5))
add("tiny_2_2", c(1.5, 2.5), c(2, 3))
add("tiny_1_2", 7, c(1, 2))
# constant series on one side
add("constant_x_20_varied_y_20", rep(5, 20), rnorm(20, 5, 1))
add("constant_y_30_varied_x_25", rnorm(25, 2, 0.5), rep(2, 30))
add("constant_zero_errors_vs_some", rep(0, 40), c(rep(0, 35), 0.01, 0.02, 0.01, 0.03, 0.02))
# error-rate-sized values
add("error_rate_60_60", rbinom(60, 1000, 0.002) / 1000, rbinom(60, 1000, 0.002) / 1000)
add("error_rate_60_60_regression", rbinom(60, 1000, 0.01) / 1000, rbinom(60, 1000, 0.002) / 1000)
add("error_rate_continuous_100_100", rbeta(100, 2, 400), rbeta(100, 2, 500))
add("error_rate_tiny_shift_500_500", rbeta(500, 3, 3000) + 0.0005, rbeta(500, 3, 3000))
# separation, identical samples, confidence levels
add("complete_separation_5_5", c(101, 102, 103, 104, 105), c(1, 2, 3, 4, 5))
add("complete_separation_3_3", c(10, 11, 12), c(1, 2, 3))
s <- rnorm(40, 50, 5)
add("identical_samples_40", s, s)
add("conf_095_30_30", rnorm(30, 1), rnorm(30), conf = 0.95)
add("conf_090_45_35", rnorm(45, 0.5), rnorm(35), conf = 0.90)
add("conf_0999_100_100", rnorm(100, 0.2), rnorm(100), conf = 0.999)
add("large_scale_values_50_50", rnorm(50, 1e6, 1e4), rnorm(50, 1e6 + 5e3, 1e4))
# R stops here: every observation tied at the interval ends
add("both_constant_equal", rep(3, 10), rep(3, 12))
add("both_constant_different", rep(4, 10), rep(3, 12))

out <- character(0)
for (cs in cases) {
  r <- tryCatch(
    suppressWarnings(wilcox.test(cs$x, cs$y, exact = FALSE, correct = TRUE, conf.int = TRUE,
                                 conf.level = cs$conf)),
    error = function(e) conditionMessage(e))
  head <- sprintf('"name": "%s", "conf_level": %s, "x": %s, "y": %s', cs$name,
                  sprintf('"%.17g"', cs$conf), num(cs$x), num(cs$y))
  if (is.character(r)) {
    body <- sprintf('"error": "%s"', gsub('"', "'", r))
  } else {
    body <- sprintf('"statistic": %s, "p_value": %s, "estimate": %s, "ci": %s',
                    sprintf('"%.17g"', unname(r$statistic)), sprintf('"%.17g"', r$p.value),
                    sprintf('"%.17g"', unname(r$estimate)), num(as.numeric(r$conf.int)))
  }
  out <- c(out, paste0("  {", head, ", ", body, "}"))
}
cat('{"generator": "tests/judge/generate.R", "r_version": "', R.version.string, '",\n',
    ' "call": "wilcox.test(x, y, exact = FALSE, correct = TRUE, conf.int = TRUE, conf.level = conf_level)",\n',
    ' "cases": [\n', paste(out, collapse = ",\n"), "\n]}\n", sep = "")
