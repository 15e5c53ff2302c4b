package incident

// MaxBudgetWindows exposes the cap on the fingerprints a LogBudget follows.
const MaxBudgetWindows = maxBudgetWindows
