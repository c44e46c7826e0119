/* bench/density_sweep_plan: the decisions of a density sweep, as pure
 * functions of what was measured — the steps to take, when to stop, the cost
 * per instance to expect next and which measured cost planning believes.
 * density_sweep.c executes them; tests/unit/test_density.c checks them. */
#include "density_internal.h"
#include <math.h>
#include <string.h>

static double mib(double bytes)
{
	return bytes / 1048576.0;
}

/* --max, else the backend's own limit; --quick caps it. Steps: the ones
 * asked for up to max, else doubling from 1, ending at max. */
void density_plan_backend(const struct hvc_density_opts *o, int default_max, int quick_max,
			  struct density_plan *p)
{
	p->max = o->max > 0 ? o->max : o->quick ? quick_max : default_max;
	if (o->quick && p->max > quick_max)
		p->max = quick_max;
	p->n_steps = 0;
	if (o->n_steps) {
		for (size_t i = 0; i < o->n_steps; i++)
			if (o->steps[i] <= p->max)
				p->steps[p->n_steps++] = o->steps[i];
		return;
	}
	for (int k = 1; k < p->max && p->n_steps < HVC_DENSITY_MAX_STEPS - 1; k *= 2)
		p->steps[p->n_steps++] = k;
	p->steps[p->n_steps++] = p->max;
}

bool density_budget_refuses(double marginal_est, double delta_now, int added, int target,
			    uint64_t budget, char *why, size_t len)
{
	double need = delta_now + added * marginal_est;
	if (!(marginal_est > 0) || !(need > (double)budget))
		return false;
	snprintf(why, len,
		 "memory budget: N=%d would need about %.0f MiB, over the budget of %.0f MiB",
		 target, mib(need), mib((double)budget));
	return true;
}

/* The first failure ends the sweep (the host's limit is found), then a
 * cancel, then the budget. */
bool density_step_stops(const struct density_step *s, bool cancelled, uint64_t budget, char *why,
			size_t len)
{
	if (s->n_fails) {
		snprintf(why, len, "first failure at N=%d: %s: %s", s->n, s->fails[0].instance,
			 s->fails[0].reason);
		return true;
	}
	if (cancelled) {
		snprintf(why, len, "cancelled (signal) at N=%d", s->n);
		return true;
	}
	if (s->delta > (double)budget) {
		snprintf(why, len, "memory budget reached at N=%d (%.0f of %.0f MiB)", s->n,
			 mib(s->delta), mib((double)budget));
		return true;
	}
	return false;
}

void density_stop_completed(const struct hvc_density_opts *o, const struct density_plan *p,
			    char *why, size_t len)
{
	snprintf(why, len, "%s N=%d reached", o->max > 0 || o->quick ? "--max" : "the last step,",
		 p->n_steps ? p->steps[p->n_steps - 1] : 0);
}

/* Page tables and kernel objects can make later instances cost more than
 * earlier ones: the larger of the two figures keeps the budget safe. */
double density_marginal_estimate(const double *x, const double *y, size_t n)
{
	if (n == 0)
		return 0;
	double est = y[n - 1] / x[n - 1];
	double s, i0;
	if (n >= 2 && hvc_density_fit(x, y, n, &s, &i0, NULL) == 0 && s > est)
		est = s;
	return est;
}

void density_fit_points(const double *x, const double *y, size_t n, struct density_fit *f)
{
	*f = (struct density_fit){.points = n};
	if (n >= 2 && hvc_density_fit(x, y, n, &f->slope, &f->intercept, &f->r2) == 0) {
		f->method = "least squares over the measured steps";
		f->has_r2 = true;
	} else if (n == 1 && x[0] > 0) {
		f->method = "one step: its cost divided by its instances";
		f->slope = y[0] / x[0];
		f->intercept = 0;
	}
}

/* The per-instance cost planning uses. Host memory used is the complete
 * figure (kernel objects, page tables, page cache an instance pins), but on a
 * host where other work runs it can drown a small per-instance cost in noise;
 * then the accounted figure (PSS of the instances' processes plus their hvc
 * supervisors) is used, and the choice and its reason are recorded. */
void density_choose_cost(const struct density_fit *host, const struct density_fit *accounted,
			 struct density_cost_choice *c)
{
	*c = (struct density_cost_choice){0};
	double hs = host->method ? host->slope : NAN;
	double r2 = host->has_r2 ? host->r2 : host->points == 1 ? 1.0 : NAN;
	double as = accounted->method ? accounted->slope : NAN;
	size_t pts = host->points;
	/* a line through two points always fits (R^2 = 1): with fewer than three
	 * steps, only a slope within 1-3x the PSS slope is believed */
	bool plausible = pts >= 3 ? isfinite(r2) && r2 >= 0.8 : isfinite(as) && hs <= 3 * as;
	const struct density_fit *use;
	if (isfinite(hs) && hs > 0 && plausible && !(isfinite(as) && hs < as)) {
		c->basis = "host";
		snprintf(c->why, sizeof(c->why), "%s",
			 pts >= 3
			     ? "host memory used grew linearly with N (R^2 >= 0.8) and by at "
			       "least the instances' PSS"
			     : "host memory used grew by 1-3x the instances' PSS (fewer than 3 "
			       "steps: no linearity check)");
		use = host;
	} else if (isfinite(as) && as > 0) {
		c->basis = "pss";
		snprintf(c->why, sizeof(c->why),
			 "host memory used was too noisy to fit (slope %.2f MiB, R^2 %.2f: below "
			 "the PSS slope, not linear, or with < 3 steps above 3x the PSS slope): "
			 "PSS of the instances and their supervisors used instead",
			 hs / 1048576.0, r2);
		use = accounted;
	} else {
		c->basis = "none";
		snprintf(c->why, sizeof(c->why), "no step was measured completely");
		return;
	}
	c->has_slope = true;
	c->slope = use->slope;
	c->intercept = use->intercept;
}

/* The same figures hvc_density_cost_from_json reads back from density.json. */
int density_result_cost(const struct density_backend_result *r, struct hvc_density_cost *c,
			struct hvc_error *err)
{
	memset(c, 0, sizeof(*c));
	const char *name = r->name ? r->name : "?";
	if (!r->cost.has_slope)
		return hvc_err(err, EINVAL, "backend %s: no per-instance memory cost recorded (%s)",
			       name, r->cost.why);
	c->mem_slope = r->cost.slope;
	c->mem_intercept = r->cost.intercept;
	c->base_used = (double)(int64_t)r->baseline_used;
	c->cpu_share = r->cpu_share >= 0 ? r->cpu_share : 0;
	c->measured_max = r->max_measured;
	if (!isfinite(c->mem_slope))
		return hvc_err(err, EINVAL, "backend %s: memory slope is not a number", name);
	return 0;
}
