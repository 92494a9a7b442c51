global using Xunit;
global using BayesianRouter.Data;
global using BayesianRouter.RewardModels;
global using BayesianRouter.RewardModels.Clients;
global using BayesianRouter.RewardModels.Serving;
