// Operational alerts, all routed to one action group that emails the operator.
param location string
param tags object
param namePrefix string
param alertEmail string
param serviceBusNamespaceName string
param webhookQueueName string
param webhookBacklogThreshold int
param keyVaultName string
param workspaceName string
param http5xxPercentThreshold int

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-${namePrefix}-ops'
  location: 'global'
  tags: tags
  properties: {
    // At most 12 characters; shown as the sender of SMS and voice notifications.
    groupShortName: 'payments-ops'
    enabled: true
    emailReceivers: [
      {
        name: 'operator'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

// Any dead-lettered message means a message failed 10 deliveries or expired: a handler bug or a
// poison message that someone must look at. The metric is a gauge of what sits in the dead-letter
// sub-queues, so the alert stays fired until they are drained, and is split per queue.
resource deadLetterAlert 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-${namePrefix}-servicebus-deadletters'
  location: 'global'
  tags: tags
  properties: {
    description: 'Messages are sitting in a Service Bus dead-letter queue.'
    severity: 1
    enabled: true
    scopes: [
      serviceBus.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'DeadletteredMessages'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'DeadletteredMessages'
          dimensions: [
            {
              name: 'EntityName'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Maximum'
        }
      ]
    }
    actions: [
      {
        actionGroupId: actionGroup.id
      }
    ]
  }
}

// Webhook retries wait as scheduled messages (the ScheduledMessages metric), not as active ones,
// so a high ActiveMessages count means deliveries are not being picked up fast enough.
resource webhookBacklogAlert 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-${namePrefix}-webhook-backlog'
  location: 'global'
  tags: tags
  properties: {
    description: 'Merchant webhook deliveries are piling up on ${webhookQueueName}.'
    severity: 2
    enabled: true
    scopes: [
      serviceBus.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'ActiveMessages'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'ActiveMessages'
          dimensions: [
            {
              name: 'EntityName'
              operator: 'Include'
              values: [
                webhookQueueName
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: webhookBacklogThreshold
          timeAggregation: 'Average'
        }
      ]
    }
    actions: [
      {
        actionGroupId: actionGroup.id
      }
    ]
  }
}

// Key Vault answers 429 when the vault's transaction limit is exceeded; ServiceApiResult counts
// every answer by StatusCode, so any 429 in five minutes means callers are being throttled.
resource keyVaultThrottlingAlert 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-${namePrefix}-keyvault-throttling'
  location: 'global'
  tags: tags
  properties: {
    description: 'Key Vault is throttling requests (HTTP 429).'
    severity: 2
    enabled: true
    scopes: [
      keyVault.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'Throttled'
          metricNamespace: 'Microsoft.KeyVault/vaults'
          metricName: 'ServiceApiResult'
          dimensions: [
            {
              name: 'StatusCode'
              operator: 'Include'
              values: [
                '429'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Count'
        }
      ]
    }
    actions: [
      {
        actionGroupId: actionGroup.id
      }
    ]
  }
}

// A rate, not a count: a burst of 5xx at low traffic and a steady trickle at high traffic mean
// different things. Only public API routes count ("/api/"); queue and timer invocations reach the
// handler as POST /{FunctionName} and their failures show up as retries and dead letters instead.
resource http5xxAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-http-5xx-rate'
  location: location
  tags: tags
  properties: {
    displayName: 'HTTP 5xx rate on the payments API'
    description: 'More than ${http5xxPercentThreshold}% of API requests failed with a 5xx status in 15 minutes (at least 20 requests).'
    severity: 1
    enabled: true
    scopes: [
      workspace.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    autoMitigate: true
    criteria: {
      allOf: [
        {
          query: '''
AppRequests
| where Url contains "/api/"
| summarize Total = count(), ServerErrors = countif(toint(ResultCode) >= 500)
| where Total >= 20
| extend FailedPercent = 100.0 * ServerErrors / Total
'''
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'FailedPercent'
          operator: 'GreaterThan'
          threshold: http5xxPercentThreshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

// The T+1 reconciliation logs one line per discrepancy it finds (a payment the channel has and we
// do not, or an amount or status that differs); each such line needs a human. The phrase must be
// literal text in the log message template, so it is in the message whether or not the exporter
// formats the arguments in. The discrepancy counter (PaymentsMetrics) is a second, independent
// signal for the same event.
resource reconciliationAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-reconciliation-discrepancy'
  location: location
  tags: tags
  properties: {
    displayName: 'Reconciliation discrepancy'
    description: 'The reconciliation run logged at least one discrepancy between a channel statement and our records.'
    severity: 2
    enabled: true
    scopes: [
      workspace.id
    ]
    evaluationFrequency: 'PT1H'
    windowSize: 'PT1H'
    autoMitigate: false
    criteria: {
      allOf: [
        {
          query: '''
union isfuzzy=true
    (AppTraces | where Message contains "reconciliation discrepancy"),
    (AppEvents | where Name == "ReconciliationDiscrepancy"),
    (AppMetrics | where Name == "payments.reconciliation.discrepancies" and Sum > 0)
'''
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

output actionGroupName string = actionGroup.name
