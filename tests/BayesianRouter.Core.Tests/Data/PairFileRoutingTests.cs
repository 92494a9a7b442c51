using BayesianRouter.Data;

namespace BayesianRouter.Core.Tests.Data;

/// <summary>The pair file's optional "routing" object (what <c>bayesrouter label</c> writes).</summary>
public class PairFileRoutingTests
{
    private const string Routed = """{"id":"p1","prompt":"x","response_a":"ra","response_b":"rb","judgments":{"sky":{"score_a":0.25,"score_b":1}},"routing":{"decision_id":"ab12-7","chosen":"armo","probability":0.3125,"rm":"sky","label":"b","fallback_from":[{"rm":"armo","reason":"timeout: no answer within 2 s"}],"features_hash":"0123456789abcdef"}}""";

    [Fact]
    public void A_routed_pair_reads_and_writes_back_byte_for_byte()
    {
        var p = PairFile.Parse(Routed);
        var r = p.Routing!;
        Assert.Equal("ab12-7", r.DecisionId);
        Assert.Equal("armo", r.Chosen);
        Assert.Equal(0.3125, r.Probability);
        Assert.Equal("sky", r.Rm);
        Assert.Equal(Preference.B, r.Label);
        Assert.Equal([("armo", "timeout: no answer within 2 s")], r.FallbackFrom);
        Assert.Null(r.Error);
        var group = PreferencePair.GroupOf("x");
        Assert.Equal(Routed.Replace("\"prompt\"", $"\"group\":\"{group}\",\"prompt\""), PairFile.Format(p));
    }

    [Fact]
    public void An_unlabelled_pair_keeps_its_reason()
    {
        var p = PairFile.Parse("""{"id":"p1","prompt":"x","response_a":"","response_b":"","routing":{"decision_id":"d-1","chosen":"a","probability":1,"rm":null,"label":null,"error":"no RM could label the pair","features_hash":"00"}}""");
        Assert.Null(p.Routing!.Label);
        Assert.Null(p.Routing.Rm);
        Assert.Equal("no RM could label the pair", p.Routing.Error);
        Assert.Equal(p, PairFile.Parse(PairFile.Format(p)), new RoutingOnly());
    }

    [Theory]
    [InlineData("""{"decision_id":"d","chosen":"a","probability":0,"features_hash":"0"}""", "routing.probability must be a number in (0, 1]")]
    [InlineData("""{"decision_id":"d","chosen":"a","probability":0.5}""", "routing: missing field \"features_hash\"")]
    [InlineData("""{"decision_id":"d","chosen":"a","probability":0.5,"features_hash":"0","label":"c"}""", "routing.label must be")]
    [InlineData("""{"decision_id":"d","chosen":"a","probability":0.5,"features_hash":"0","lable":"a"}""", "routing: unknown field \"lable\"")]
    public void A_bad_routing_object_is_refused_naming_the_field(string routing, string message)
    {
        var e = Assert.Throws<FormatException>(() => PairFile.Parse($$"""{"id":"p","prompt":"x","response_a":"","response_b":"","routing":{{routing}}}"""));
        Assert.Contains(message, e.Message);
    }

    private sealed class RoutingOnly : IEqualityComparer<PreferencePair>
    {
        public bool Equals(PreferencePair? x, PreferencePair? y) => x!.Routing! with { FallbackFrom = [] } == y!.Routing! with { FallbackFrom = [] };
        public int GetHashCode(PreferencePair obj) => 0;
    }
}
