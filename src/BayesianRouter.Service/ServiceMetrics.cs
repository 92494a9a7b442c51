using BayesianRouter.Live;
using Prometheus;

namespace BayesianRouter.Service;

/// <summary>
/// The service's Prometheus metrics, in a registry of its own (several servers may share a process in tests):
/// HTTP requests and latencies per endpoint, RM calls, failures and latencies per RM, fallbacks, decisions and labels
/// per RM with the routing share, feedback outcomes. The System.Diagnostics.Metrics instruments of meters whose name
/// starts with "BayesianRouter" (the RM clients' telemetry) are exported into the same registry.
/// </summary>
public sealed class ServiceMetrics : IDisposable
{
    private readonly IDisposable _meterAdapter;
    private readonly IReadOnlyList<string> _pool;
    private readonly long[] _chosen;
    private long _decisions;

    /// <param name="pool">RM names in arm order.</param>
    /// <param name="budget">Reads the session's spending when metrics are collected (null: no spending gauges are set).</param>
    public ServiceMetrics(IReadOnlyList<string> pool, Func<BudgetStatus>? budget = null)
    {
        _pool = pool;
        _chosen = new long[pool.Count];
        Registry = Metrics.NewCustomRegistry();
        var f = Metrics.WithCustomRegistry(Registry);
        Requests = f.CreateCounter("bayesrouter_http_requests_total", "HTTP requests by endpoint and status code.", "endpoint", "code");
        RequestSeconds = f.CreateHistogram("bayesrouter_http_request_duration_seconds", "HTTP request latency by endpoint.",
            new HistogramConfiguration { LabelNames = ["endpoint"], Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });
        RmCalls = f.CreateCounter("bayesrouter_rm_calls_total", "Batched calls to each RM.", "rm");
        RmCallFailures = f.CreateCounter("bayesrouter_rm_call_failures_total", "RM calls that failed as a whole (exception, timeout, wrong reply length).", "rm");
        RmPairFailures = f.CreateCounter("bayesrouter_rm_pair_failures_total", "Pairs an RM failed to judge (whole-call failures included).", "rm");
        RmPairs = f.CreateCounter("bayesrouter_rm_pairs_total", "Pairs sent to each RM.", "rm");
        RmSeconds = f.CreateHistogram("bayesrouter_rm_call_duration_seconds", "Latency of one batched RM call.",
            new HistogramConfiguration { LabelNames = ["rm"], Buckets = Histogram.ExponentialBuckets(0.0005, 2, 18) });
        Decisions = f.CreateCounter("bayesrouter_decisions_total", "Pairs routed to each RM (the router's first choice).", "rm");
        Labels = f.CreateCounter("bayesrouter_labels_total", "Pairs labelled by each RM (first choice or fallback).", "rm");
        Fallbacks = f.CreateCounter("bayesrouter_fallbacks_total", "Pairs that fell back from an RM to the next choice.", "from");
        Unlabelled = f.CreateCounter("bayesrouter_unlabelled_pairs_total", "Pairs no RM could label.");
        Feedback = f.CreateCounter("bayesrouter_feedback_items_total", "Feedback items by outcome.", "outcome");
        Share = f.CreateGauge("bayesrouter_routing_share", "Share of this process's decisions routed to each RM.", "rm");
        Spend = f.CreateGauge("bayesrouter_spend_total", "Cost spent on RM calls since the state was created (fallback calls included).");
        FallbackSpend = f.CreateGauge("bayesrouter_spend_fallback_total", "The part of the spend that went to fallback calls after a failed RM call.");
        MeanCost = f.CreateGauge("bayesrouter_spend_per_pair", "Realised mean cost per routed pair.");
        Budget = f.CreateGauge("bayesrouter_budget_per_pair", "The pool file's budget (mean cost per pair); NaN without one.");
        Price = f.CreateGauge("bayesrouter_budget_price", "The budget's current price of one cost unit, in the router's score units (0 without a budget).");
        LogCommits = f.CreateGauge("bayesrouter_log_commits_total", "Transactions the decision log committed since the start (one fsync each with --durability full).");
        LogWrites = f.CreateGauge("bayesrouter_log_writes_total", "Writes (decision batches, feedback batches) the decision log committed since the start; writes per commit = the group commit's grouping.");
        AnsweredFromLog = f.CreateCounter("bayesrouter_pairs_answered_from_log_total", "Pairs of /v1/label requests whose id was already decided: answered with the logged decision, not routed again.");
        Replays = f.CreateCounter("bayesrouter_idempotent_replays_total", "Requests answered from the log because their Idempotency-Key was logged with an earlier attempt.", "endpoint");
        if (budget != null)
            Registry.AddBeforeCollectCallback(() =>
            {
                var b = budget();
                Spend.Set(b.Spend);
                FallbackSpend.Set(b.FallbackSpend);
                MeanCost.Set(b.MeanCost);
                Budget.Set(b.Budget ?? double.NaN);
                Price.Set(b.Price);
            });
        foreach (var rm in pool)
        {
            foreach (var c in new[] { RmCalls, RmCallFailures, RmPairFailures, RmPairs, Decisions, Labels, Fallbacks }) c.WithLabels(rm);
            Share.WithLabels(rm).Set(0);
        }
        foreach (var o in new[] { "accepted", "unknown", "duplicate", "unlabelled" }) Feedback.WithLabels(o);
        _meterAdapter = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = Registry,
            MetricFactory = f,
            InstrumentFilterPredicate = i => i.Meter.Name.StartsWith("BayesianRouter", StringComparison.OrdinalIgnoreCase),
        });
    }

    public CollectorRegistry Registry { get; }
    public Counter Requests { get; }
    public Histogram RequestSeconds { get; }
    public Counter RmCalls { get; }
    public Counter RmCallFailures { get; }
    public Counter RmPairFailures { get; }
    public Counter RmPairs { get; }
    public Histogram RmSeconds { get; }
    public Counter Decisions { get; }
    public Counter Labels { get; }
    public Counter Fallbacks { get; }
    public Counter Unlabelled { get; }
    public Counter Feedback { get; }
    public Gauge Share { get; }
    public Gauge Spend { get; }
    public Gauge FallbackSpend { get; }
    public Gauge MeanCost { get; }
    public Gauge Budget { get; }
    public Gauge Price { get; }
    public Gauge LogCommits { get; }
    public Gauge LogWrites { get; }
    public Counter AnsweredFromLog { get; }
    public Counter Replays { get; }

    /// <summary>Counts one RM call (from <see cref="PoolLabellerOptions.OnCall"/>).</summary>
    public void OnRmCall(RmCall call)
    {
        RmCalls.WithLabels(call.Rm).Inc();
        RmPairs.WithLabels(call.Rm).Inc(call.Pairs);
        if (call.Error != null) RmCallFailures.WithLabels(call.Rm).Inc();
        if (call.Failed > 0) RmPairFailures.WithLabels(call.Rm).Inc(call.Failed);
        RmSeconds.WithLabels(call.Rm).Observe(call.Elapsed.TotalSeconds);
    }

    /// <summary>Counts the decisions and labels of one request and refreshes the routing shares.</summary>
    public void OnLabelled(IReadOnlyList<LabelledDecision> labelled)
    {
        foreach (var (d, l) in labelled)
        {
            Decisions.WithLabels(d.Rm).Inc();
            if (l.Rm != null) Labels.WithLabels(l.Rm).Inc();
            else Unlabelled.Inc();
            foreach (var f in l.FallbackFrom) Fallbacks.WithLabels(f.Rm).Inc();
        }
        lock (_chosen)
        {
            foreach (var (d, _) in labelled) _chosen[d.Arm]++;
            _decisions += labelled.Count;
            for (int n = 0; n < _pool.Count; n++) Share.WithLabels(_pool[n]).Set(_decisions == 0 ? 0 : (double)_chosen[n] / _decisions);
        }
    }

    public void OnFeedback(FeedbackResult r)
    {
        Feedback.WithLabels("accepted").Inc(r.Accepted);
        Feedback.WithLabels("unknown").Inc(r.Unknown.Count);
        Feedback.WithLabels("duplicate").Inc(r.Duplicate.Count);
        Feedback.WithLabels("unlabelled").Inc(r.Unlabelled.Count);
    }

    public void Dispose() => _meterAdapter.Dispose();
}
