using BayesianRouter.RewardModels;

namespace BayesianRouter.Core.Tests.RewardModels;

/// <summary>The judge's token limit in the pool file: the field its model takes and how many tokens it may answer with.</summary>
public class PoolFileTokenLimitTests
{
    private static RmSpec Judge(string extra, string model = "gpt-4o") => PoolFile.Parse(
        $$"""{"rms": [{"name": "j", "backend": "openai-judge", "url": "https://api.example/v1", "model": "{{model}}"{{extra}}}]}""", "pool.json").Rms[0];

    [Theory]
    [InlineData("gpt-4o", "max_tokens")]
    [InlineData("gpt-5", "max_completion_tokens")]
    [InlineData("o3-mini", "max_completion_tokens")]
    [InlineData("openai/o1-preview", "max_completion_tokens")]
    [InlineData("Qwen/Qwen2.5-72B-Instruct", "max_tokens")]
    public void Without_the_field_the_models_name_decides(string model, string field)
    {
        var spec = Judge("", model);
        Assert.Null(spec.TokenLimitField);
        Assert.Equal(field, spec.EffectiveTokenLimitField);
        Assert.Equal(1, spec.MaxOutputTokens);
    }

    [Fact]
    public void The_field_and_the_limit_are_read()
    {
        var spec = Judge(""", "token_limit_field": "max_completion_tokens", "max_output_tokens": 2048""");
        Assert.Equal(("max_completion_tokens", "max_completion_tokens", 2048), (spec.TokenLimitField, spec.EffectiveTokenLimitField, spec.MaxOutputTokens));
        Assert.Equal("max_tokens", Judge(""", "token_limit_field": "max_tokens" """, "o3").EffectiveTokenLimitField);
    }

    [Theory]
    [InlineData(""", "token_limit_field": "max_new_tokens" """, "pool.json: rms[0].token_limit_field: \"max_new_tokens\" is not one of max_tokens, max_completion_tokens")]
    [InlineData(""", "max_output_tokens": 0""", "pool.json: rms[0].max_output_tokens: 0 is out of range 1..1000000")]
    public void Bad_values_are_named(string extra, string message) =>
        Assert.Equal(message, Assert.Throws<PoolFileException>(() => Judge(extra)).Message);

    [Fact]
    public void Only_the_judge_generates_text()
    {
        var e = Assert.Throws<PoolFileException>(() => PoolFile.Parse(
            """{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h", "max_output_tokens": 4}]}""", "pool.json"));
        Assert.Equal("pool.json: rms[0].max_output_tokens: openrlhf does not generate text (only openai-judge does); remove the field", e.Message);
    }
}
