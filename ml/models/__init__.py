"""Model families behind the FittedModel protocol: LightGBM, logistic regression, RFM KMeans."""
