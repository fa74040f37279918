// Human interaction: a challenge code goes to the phone number in the input; the user has 90
// seconds and four tries to send it back as the `SmsChallengeResponse` event. The output says
// whether a matching code arrived in time.
const df = require('durable-functions');
const { DateTime } = require('luxon');

const sendSmsChallenge = 'sendSmsChallenge';

df.app.orchestration('smsPhoneVerification', function* (context) {
  const phoneNumber = context.df.getInput();
  if (!phoneNumber) throw new Error('A phone number input is required.');

  const challengeCode = yield context.df.callActivity(sendSmsChallenge, phoneNumber);
  const deadline = DateTime.fromJSDate(context.df.currentUtcDateTime).plus({ seconds: 90 });
  const timeout = context.df.createTimer(deadline.toJSDate());

  let authorized = false;
  for (let attempt = 0; attempt <= 3 && !authorized; attempt++) {
    const response = context.df.waitForExternalEvent('SmsChallengeResponse');
    const winner = yield context.df.Task.any([response, timeout]);
    if (winner === timeout) break;
    authorized = response.result === challengeCode;
  }
  // Every pending timer must be completed or cancelled before the orchestration ends.
  if (!timeout.isCompleted) timeout.cancel();
  return authorized;
});

df.app.activity(sendSmsChallenge, {
  handler: (phoneNumber, context) => {
    const challengeCode = Math.floor(Math.random() * 10000);
    context.log(`Sending verification code ${challengeCode} to ${phoneNumber}.`);
    return challengeCode;
  },
});
