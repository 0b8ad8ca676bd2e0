import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { FactlineError } from '../../../src/errors.js'
import type { ExistingFact, ExtractionItem } from '../../../src/extractors/extractor.js'
import { NlpExtractor } from '../../../src/extractors/nlp/nlp-extractor.js'

const SESSION = 'session-1'
/** A Wednesday: "yesterday" is 2026-12-01, "on Friday" (past) 2026-11-27, "next Monday" 2026-12-07. */
const AT = new Date('2026-12-02T10:00:00Z')

function userItem(text: string, messageId = 1, role = 'user', createdAt: Date | null = AT): ExtractionItem {
  return createdAt === null ? { messageId, sessionId: SESSION, role, text } : { messageId, sessionId: SESSION, role, text, createdAt }
}

async function extract(items: ExtractionItem[], existingFacts: ExistingFact[] = [], extractor = new NlpExtractor()) {
  return extractor.extract({ userId: 'user-1', namespace: 'default', items, existingFacts })
}

async function contents(text: string): Promise<string[]> {
  return (await extract([userItem(text)])).map((f) => f.content)
}

// Natural speech: self-statements in present, past and future; narratives with lead-ins and dates;
// mixed statements and questions; other people; advice, wishes, hypotheticals, filler and talk
// about the conversation, which yield nothing.
const TABLE: Array<[string, string[]]> = [
  ["I'm allergic to peanuts.", ['Is allergic to peanuts']],
  ["I'm vegetarian.", ['Is vegetarian']],
  ["I've been vegan for six years.", ['Has been vegan for six years']],
  ['Call me Eli.', ['Goes by Eli']],
  ['My timezone is UTC+9.', ['Timezone is UTC+9']],
  ['I have two cats named Miso and Tofu.', ['Has two cats named Miso and Tofu']],
  ['We upgraded to Postgres 17 yesterday.', ['Upgraded to Postgres 17 on 2026-12-01']],
  ['I picked up a few new recipes.', ['Picked up a few new recipes']],
  ["On Friday I got great news — I'm finally in the study abroad program I applied for.", ['Got great news on 2026-11-27', 'Is finally in the study abroad program they applied for']],
  ['My sister loves sushi.', ['Sister loves sushi']],
  ['Remember, just do it.', []],
  ['Just do it!', []],
  ['You should try the ramen place on 5th.', []],
  ["Don't forget to drink water.", []],
  ['Hi there!', []],
  ['Hello, how are you?', []],
  ['Thanks so much!', []],
  ['Thank you, that was really helpful.', []],
  ['Good morning!', []],
  ['Lol yeah.', []],
  ['Ok cool.', []],
  ['Sounds good to me.', []],
  ['I think so.', []],
  ['I guess that makes sense.', []],
  ['I appreciate it.', []],
  ['I love it!', []],
  ['I see what you mean.', []],
  ['I agree with you.', []],
  ["I'm not sure.", []],
  ["I'm sorry to hear that.", []],
  ["I'm glad you liked it.", []],
  ["I'm good, thanks.", []],
  ["I'm back!", []],
  ['What do you think about Rust?', []],
  ['Do you know any good restaurants in Lisbon?', []],
  ['Can you help me plan a trip?', []],
  ['How do I cook a 6kg turkey?', []],
  ['Where should I go for my honeymoon?', []],
  ["If I move to Oslo I'll need a warmer coat.", []],
  ["If I get the job, I'll move to London.", []],
  ['I wish I had a dog.', []],
  ['I hope the weather is nice tomorrow.', []],
  ["Maybe I'll learn the piano someday.", []],
  ['I would love to visit Japan.', []],
  ["I'd like to learn Spanish.", []],
  ['I want to run a marathon one day.', []],
  ['I should really call my mother more.', []],
  ['I could never live in a big city.', []],
  ['I need help with my resume.', []],
  ["I'm looking for a new laptop.", []],
  ["I'm thinking about getting a tattoo.", []],
  ['My name is Margaret Hughes.', ['Name is Margaret Hughes']],
  ["I'm Priya.", ['Name is Priya']],
  ["Hi! I'm Diego.", ['Name is Diego']],
  ["Hey, I'm Marcus, CTO of Ledgerly.", ['Name is Marcus', 'Is CTO of Ledgerly']],
  ["I'm Mexican.", ['Is Mexican']],
  ['I live in Berlin.', ['Lives in Berlin']],
  ['I live in a small flat in Lisbon with my boyfriend.', ['Lives in a small flat in Lisbon with their boyfriend']],
  ['I moved to Oslo last year.', ['Moved to Oslo in 2025']],
  ['We moved to Leeds in 2019.', ['Moved to Leeds in 2019']],
  ["I'm from Guadalajara.", ['Is from Guadalajara']],
  ['I grew up in a small village in Wales.', ['Grew up in a small village in Wales']],
  ['I work at Spotify.', ['Works at Spotify']],
  ['I work for a small design agency in Bristol.', ['Works for a small design agency in Bristol']],
  ["I'm a nurse.", ['Is a nurse']],
  ["I'm a software engineer at Google.", ['Is a software engineer at Google']],
  ["I'm a teacher at a primary school in Cardiff.", ['Is a teacher at a primary school in Cardiff']],
  ["I'm a student at the University of Glasgow.", ['Is a student at the University of Glasgow']],
  ["I'm a huge fan of jazz.", ['Is a huge fan of jazz']],
  ["I'm a big believer in routines.", ['Is a big believer in routines']],
  ["I'm an early riser.", ['Is an early riser']],
  ["I'm left-handed.", ['Is left-handed']],
  ["I'm 34.", ['Is 34']],
  ["I'm pregnant with our second child.", ['Is pregnant with their second child']],
  ["I'm diabetic.", ['Is diabetic']],
  ["I'm gluten-free.", ['Is gluten-free']],
  ["I'm lactose intolerant.", ['Is lactose intolerant']],
  ["I'm allergic to cats.", ['Is allergic to cats']],
  ["I'm allergic to shellfish and penicillin.", ['Is allergic to shellfish and penicillin']],
  ["I don't eat meat.", ["Doesn't eat meat"]],
  ["I don't drink alcohol anymore.", ["Doesn't drink alcohol anymore"]],
  ["I don't eat pork.", ["Doesn't eat pork"]],
  ["I can't stand olives.", ["Can't stand olives"]],
  ['I hate cilantro.', ['Hates cilantro']],
  ['I love hiking.', ['Loves hiking']],
  ['I love Rust.', ['Loves Rust']],
  ['I like jazz.', ['Likes jazz']],
  ['I really enjoy baking sourdough.', ['Really enjoys baking sourdough']],
  ['I enjoy long walks on the beach.', ['Enjoys long walks on the beach']],
  ['I prefer tabs over spaces.', ['Prefers tabs over spaces']],
  ['I prefer tea to coffee.', ['Prefers tea to coffee']],
  ["I don't like horror movies.", ["Doesn't like horror movies"]],
  ['I adore my grandmother.', ['Adores their grandmother']],
  ['I love my job.', ['Loves their job']],
  ['My favorite food is ramen.', ['Favorite food is ramen']],
  ['My favourite band is Radiohead.', ['Favourite band is Radiohead']],
  ['My favorite color is green.', ['Favorite color is green']],
  ['My birthday is on March 3rd.', ['Birthday is on March 3rd']],
  ['My email is eli@example.com.', ['Email is eli@example.com']],
  ['I have a dog.', ['Has a dog']],
  ['I have a golden retriever named Max.', ['Has a golden retriever named Max']],
  ['I have three kids.', ['Has three kids']],
  ['I have two brothers and a sister.', ['Has two brothers and a sister']],
  ['I have a bad knee.', ['Has a bad knee']],
  ['I have asthma.', ['Has asthma']],
  ['I have a PhD in chemistry.', ['Has a PhD in chemistry']],
  ['I have a Tesla Model 3.', ['Has a Tesla Model 3']],
  ["I've got a cat called Pickle.", ['Has got a cat called Pickle']],
  ['We have a new puppy.', ['Has a new puppy']],
  ['We adopted a rescue dog last month.', ['Adopted a rescue dog in November 2026']],
  ['We got a kitten, Loretta.', ['Got a kitten, Loretta']],
  ['My husband Dennis is a retired postman.', ['Husband Dennis is a retired postman']],
  ['My wife works at the hospital.', ['Wife works at the hospital']],
  ['My partner Sam is a chemistry teacher.', ['Partner Sam is a chemistry teacher']],
  ['My daughter Anika plays hockey.', ['Daughter Anika plays hockey']],
  ['My son started school this week.', ['Son started school in the week of 2026-11-30']],
  ['My mom passed away last year.', ['Mom passed away in 2025']],
  ['My brother lives in Toronto.', ['Brother lives in Toronto']],
  ['My dad came from Ahmedabad for Christmas.', ['Dad came from Ahmedabad for Christmas']],
  ['My best friend is getting married in June.', ['Best friend is getting married in June']],
  ['My boss is a nightmare.', ['Boss is a nightmare']],
  ['My knee hurts.', []],
  ['My car broke down on the motorway.', ['Car broke down on the motorway']],
  ['My flight is on Tuesday.', ['Flight is on 2026-12-01']],
  ['My rent went up.', []],
  ['She loves sushi.', []],
  ["He's a chemistry teacher.", []],
  ['They live in Bristol.', []],
  ["It's raining here.", []],
  ['It was a great day.', []],
  ["That's so cool!", []],
  ['This is amazing.', []],
  ["There's a band in Oregon with the same name.", []],
  ['Sam took the dog to the vet yesterday.', []],
  ['Tobi got into Parrs Wood!', []],
  ['Kofi started on Monday last week.', []],
  ['Lena handled the email to customers.', []],
  ['The flights got silly expensive.', []],
  ['The surgeon says it went perfectly.', []],
  ['I picked up a few new recipes last week.', ['Picked up a few new recipes in the week of 2026-11-23']],
  ['I ran a half marathon on Sunday.', ['Ran a half marathon on 2026-11-29']],
  ['I got the ICU job!', ['Got the ICU job']],
  ['I quit my job in March.', ['Quit their job in March']],
  ['I started a new job yesterday.', ['Started a new job on 2026-12-01']],
  ['I finished my thesis.', ['Finished their thesis']],
  ['I passed my driving test on Friday!', ['Passed their driving test on 2026-11-27']],
  ['I had my first driving lesson yesterday.', ['Had their first driving lesson on 2026-12-01']],
  ['I failed my driving test again.', ['Failed their driving test again']],
  ['I broke my wrist skiing.', ['Broke their wrist skiing']],
  ['I got married in 2015.', ['Got married in 2015']],
  ['I got engaged last weekend.', ['Got engaged last weekend']],
  ['We bought a house in Chapel Allerton.', ['Bought a house in Chapel Allerton']],
  ['We sold the old Fiat Panda.', ['Sold the old Fiat Panda']],
  ['We cancelled our trip to Seville.', ['Cancelled their trip to Seville']],
  ['We booked a holiday to Seville for September.', ['Booked a holiday to Seville for September']],
  ['We went to Chester Zoo yesterday.', ['Went to Chester Zoo on 2026-12-01']],
  ['We had a production incident yesterday.', ['Had a production incident on 2026-12-01']],
  ['We hired an SRE.', ['Hired an SRE']],
  ['We closed our seed round last Thursday.', ['Closed their seed round on 2026-11-26']],
  ['I gave a talk at the Berlin Go meetup last Thursday.', ['Gave a talk at the Berlin Go meetup on 2026-11-26']],
  ["I've been promoted to senior accountant!", ['Has been promoted to senior accountant']],
  ["I've been nominated for Chef of the Year.", ['Has been nominated for Chef of the Year']],
  ["I've started volunteering at the library.", ['Has started volunteering at the library']],
  ["I've been learning Welsh for a year.", ['Has been learning Welsh for a year']],
  ["I've just come off four night shifts in a row.", ['Has just come off four night shifts in a row']],
  ["I've applied for a band 6 post on the intensive care unit.", ['Has applied for a band 6 post on the intensive care unit']],
  ["I've finally switched from VS Code to Neovim.", ['Has finally switched from VS Code to Neovim']],
  ["I've never been to Asia.", ['Has never been to Asia']],
  ["I've lived here for ten years.", []],
  ['I retired last summer.', ['Retired last summer']],
  ['I flew back into Glasgow on Saturday.', ['Flew back into Glasgow on 2026-11-28']],
  ['I transferred from the BEng to the MEng.', ['Transferred from the BEng to the MEng']],
  ['I switched to the aerodynamics sub-team.', ['Switched to the aerodynamics sub-team']],
  ['I bought a Music Man StingRay for sessions.', ['Bought a Music Man StingRay for sessions']],
  ["I stopped teaching at Carter's.", ["Stopped teaching at Carter's"]],
  ['I raised my day rate to $300.', ['Raised their day rate to $300']],
  ['I charge $200 a day for sessions.', ['Charges $200 a day for sessions']],
  ['I teach online now through my own website.', ['Teaches online now through their own website']],
  ['I play bass in an alt-country band.', ['Plays bass in an alt-country band']],
  ['I run every morning at six.', ['Runs every morning at six']],
  ['I go bouldering every Tuesday.', ['Goes bouldering every Tuesday']],
  ['I volunteer at the food bank on weekends.', ['Volunteers at the food bank on weekends']],
  ['I speak French and German.', ['Speaks French and German']],
  ['I can speak three languages.', ['Can speak three languages']],
  ['I can never sleep properly after nights.', ['Can never sleep properly after nights']],
  ["I can't swim.", ["Can't swim"]],
  ['I drive a grey Toyota Yaris.', ['Drives a grey Toyota Yaris']],
  ['I use Neovim for everything.', ['Uses Neovim for everything']],
  ['I use a standing desk.', ['Uses a standing desk']],
  ['I usually work from home on Fridays.', ['Usually works from home on Fridays']],
  ["I'm starting an Advanced Life Support course next Monday.", ['Is starting an Advanced Life Support course on 2026-12-07']],
  ["I'm moving to Oslo next month.", ['Is moving to Oslo in January 2027']],
  ["I'm going to Lisbon in September.", ['Is going to Lisbon in September']],
  ["I'm getting married next year.", ['Is getting married in 2027']],
  ["I'm training for the Leeds Half Marathon.", ['Is training for the Leeds Half Marathon']],
  ["I'm learning Japanese.", ['Is learning Japanese']],
  ["I'm reading Demon Copperhead.", ['Is reading Demon Copperhead']],
  ["I'm writing a novel.", ['Is writing a novel']],
  ["I'm building a Rust CLI that reminds me to water my plants.", ['Is building a Rust CLI that reminds them to water their plants']],
  ["I'm working on a side project in Go.", ['Is working on a side project in Go']],
  ["I'm leading the migration to PostgreSQL.", ['Is leading the migration to PostgreSQL']],
  ['I will start my new job on Monday.', ['Will start their new job on 2026-12-07']],
  ['I will be in Paris next week.', ['Will be in Paris in the week of 2026-12-07']],
  ["We're launching in France next month.", ['Is launching in France in January 2027']],
  ["We're migrating from MongoDB to PostgreSQL.", ['Is migrating from MongoDB to PostgreSQL']],
  ["We're hosting Christmas for eleven people this year.", ['Is hosting Christmas for eleven people in 2026']],
  ["We're recording an EP in August.", ['Is recording an EP in August']],
  ['We decided to use Postgres.', ['Decided to use Postgres']],
  ['We went with Hetzner for hosting.', ['Went with Hetzner for hosting']],
  ['We switched from Heroku to Fly.io.', ['Switched from Heroku to Fly.io']],
  ['We chose React for the frontend.', ['Chose React for the frontend']],
  ['We replaced RabbitMQ with Kafka last month.', ['Replaced RabbitMQ with Kafka in November 2026']],
  ['We use GitHub Actions for CI.', ['Uses GitHub Actions for CI']],
  ['I decided to go back to school.', ['Decided to go back to school']],
  ['I decided to quit sugar.', ['Decided to quit sugar']],
  ['I chose the blue one.', []],
  ['Actually, I live in Oslo now.', ['Lives in Oslo']],
  ['Actually I moved to Bergen.', ['Moved to Bergen']],
  ["I don't live in Berlin anymore.", ["Doesn't live in Berlin anymore"]],
  ['I no longer work at Google.', ['No longer works at Google']],
  ["I'm not a nurse anymore.", ['Is not a nurse anymore']],
  ["I don't like Rust anymore.", ["Doesn't like Rust anymore"]],
  ["Actually, I'm vegan now.", ['Is vegan']],
  ['I live in Berlin and I work at Acme.', ['Lives in Berlin', 'Works at Acme']],
  ['I live in Berlin and I prefer tabs over spaces.', ['Lives in Berlin', 'Prefers tabs over spaces']],
  ["I'm a nurse and I love my job.", ['Is a nurse', 'Loves their job']],
  ['I love hiking but I hate camping.', ['Loves hiking', 'Hates camping']],
  ["I got the job, but I'm nervous about starting.", ['Got the job']],
  ['I moved to Leeds last year and I love it here.', ['Moved to Leeds in 2025']],
  ["I'm allergic to peanuts, so please keep that in mind.", ['Is allergic to peanuts']],
  ["I'm vegetarian, any recipe ideas?", ['Is vegetarian']],
  ['I live in Berlin, and you?', ['Lives in Berlin']],
  ['I love Rust, do you?', ['Loves Rust']],
  ["I'm moving to Oslo next month, any tips on neighbourhoods?", ['Is moving to Oslo in January 2027']],
  ['I just adopted a cat! What should I name her?', ['Just adopted a cat']],
  ['I started running last month. How do I avoid shin splints?', ['Started running in November 2026']],
  ['I have a job interview tomorrow, can you help me prepare?', ['Has a job interview on 2026-12-03']],
  ["I'm a teacher, how do I handle a noisy class?", ['Is a teacher']],
  ['My sister loves sushi and she lives in Tokyo.', ['Sister loves sushi']],
  ['My brother is a pilot but he hates flying.', ['Brother is a pilot']],
  ['My parents are visiting from Mumbai for a month.', ['Parents are visiting from Mumbai for a month']],
  ['My kids are six and eight.', ['Kids are six and eight']],
  ['My granddaughter set this up for me.', []],
  ['My mam spoke Welsh but I never learned properly.', ['Mam spoke Welsh']],
  ['My daughter is nine and plays hockey.', ['Daughter is nine and plays hockey']],
  ['My partner and I are expecting a baby in May.', []],
  ['Sam and I booked a holiday to Seville.', []],
  ['Maya and I moved in together last month.', []],
  ['She said I should quit my job.', []],
  ["He told me that I'm a great cook.", []],
  ['My doctor says I need to lose weight.', []],
  ['My boss thinks I should apply for the promotion.', []],
  ['Everyone calls me Peggy.', []],
  ["People say I'm too nice.", []],
  ["You're right, I should rest more.", []],
  ["You're the best!", []],
  ['Your advice worked.', []],
  ["That's what I said.", []],
  ['I said "I live in Paris" in the story.', []],
  ['He said "I love sushi".', []],
  ['`I live in Berlin` is a test string.', []],
  ['The password is hunter2.', []],
  ['Sure, I can do that.', []],
  ["I'll try that.", []],
  ["I'll think about it.", []],
  ["I'll let you know.", []],
  ["I'll check it out.", []],
  ["I'll be right back.", []],
  ['I will.', []],
  ['I did!', []],
  ['I do.', []],
  ['I know, right?', []],
  ["I mean, it's fine.", []],
  ["I feel like it's going to rain.", []],
  ['I feel great today.', []],
  ['I feel so tired lately.', []],
  ["I'm so tired.", []],
  ["I'm excited!", []],
  ["I'm bored.", []],
  ["I'm happy for you.", []],
  ["I'm really stressed about exams.", ['Is really stressed about exams']],
  ["I'm nervous about my presentation tomorrow.", []],
  ["I'm worried about my dad's health.", []],
  ['I was born in Lagos.', ['Was born in Lagos']],
  ['I was a teacher for 34 years.', ['Was a teacher for 34 years']],
  ['I was in the army.', ['Was in the army']],
  ['I was diagnosed with diabetes last year.', ['Was diagnosed with diabetes in 2025']],
  ['I was hoping you could help.', []],
  ['I was wondering if you could help me.', []],
  ['I was going to ask about that.', []],
  ['Honestly, I love my new flat.', ['Loves their new flat']],
  ['So yeah, I quit my job.', ['Quit their job']],
  ['Oh and I adopted a dog.', ['Adopted a dog']],
  ["Anyway, I'm going to bed.", []],
  ["By the way, I'm left-handed.", ['Is left-handed']],
  ['Well, I retired last summer after 34 years teaching.', ['Retired last summer after 34 years teaching']],
  ['Funny enough, I met my wife at a bus stop.', ['Met their wife at a bus stop']],
  ['Yesterday I went to the dentist.', ['Went to the dentist on 2026-12-01']],
  ['Last week I started a pottery class.', ['Started a pottery class in the week of 2026-11-23']],
  ['This morning I ran 10k.', ['Ran 10k on 2026-12-02']],
  ['Next month we launch in France.', ['Launches in France in January 2027']],
  ['In 2010 I moved to Paris.', ['Moved to Paris in 2010']],
  ['Two weeks ago I started a new job.', ['Started a new job around 2026-11-18']],
  ['On Saturday we had an outage.', ['Had an outage on 2026-11-28']],
  ["Tonight I'm off bouldering.", ['Is off bouldering on 2026-12-02']],
  ['I met my wife in Paris in 2010.', ['Met their wife in Paris in 2010']],
  ['I lost my wallet on the train.', ['Lost their wallet on the train']],
  ["I've been feeling down since my dog died.", ['Has been feeling down']],
  ["I'm recovering from knee surgery.", ['Is recovering from knee surgery']],
  ["I'm on a low-carb diet.", ['Is on a low-carb diet']],
  ["I'm training to be a pilot.", ['Is training to be a pilot']],
  ["I'm saving up for a house.", ['Is saving up for a house']],
  ["I'm in a long-distance relationship.", ['Is in a long-distance relationship']],
  ["I'm in my final year of university.", ['Is in their final year of university']],
  ["I'm on the suspension sub-team.", ['Is on the suspension sub-team']],
  ["I'm the chef and owner of Saffron Lane.", ['Is the chef and owner of Saffron Lane']],
  ["I'm the only one who knows how the infrastructure works.", ['Is the only one who knows how the infrastructure works']],
  ["I'm part of a book club.", ['Is part of a book club']],
  ["I'm colour blind.", ['Is colour blind']],
  ["I'm terrified of spiders.", ['Is terrified of spiders']],
  ["I'm afraid of heights.", ['Is afraid of heights']],
  ["I don't have a car.", ["Doesn't have a car"]],
  ["I don't have kids.", ["Doesn't have kids"]],
  ["I've never smoked.", ['Has never smoked']],
  ['I never eat breakfast.', ['Never eats breakfast']],
  ['I always take the train to work.', ['Always takes the train to work']],
  ['I sometimes work weekends.', ['Sometimes works weekends']],
  ['We live in a tiny flat in Kazimierz.', ['Lives in a tiny flat in Kazimierz']],
  ["We're expecting twins.", ['Is expecting twins']],
  ["We're nine people now.", []],
  ["We're closed on Mondays.", ['Is closed on Mondays']],
  ['We are Lantern Hollow now.', []],
  ["We're in Friedrichshain now.", []],
  ['We build invoicing software for freelancers.', ['Builds invoicing software for freelancers']],
  ['We track shipments for about 400 trucking companies.', ['Tracks shipments for about 400 trucking companies']],
  ['I built this app with Next.js.', []],
  ['I wrote my thesis on coral reefs.', ['Wrote their thesis on coral reefs']],
  ['I studied physics at Oxford.', ['Studied physics at Oxford']],
  ['I graduated in 2018.', ['Graduated in 2018']],
  ["I've been a developer for ten years.", ['Has been a developer for ten years']],
  ["I've worked at the BBC since 2012.", ['Has worked at the BBC since 2012']],
  ['I have a meeting at 3pm.', ['Has a meeting at 3pm']],
  ['I have to pick up Felix from Kita.', []],
  ['I have to finish my thesis by Friday.', []],
  ['I need to lose weight.', []],
  ['I need a week to recover.', []],
  ['I got 72% on my midterm!', ['Got 72% on their midterm']],
  ["I stood on everyone's feet.", ["Stood on everyone's feet"]],
  ['I spent a weekend changing the domain in four hundred places.', ['Spent a weekend changing the domain in four hundred places']],
  ['I find out on the 1st of March.', []],
  ['I did the crazy thing.', []],
  ['I did it!', []],
  ['I made it!', []],
  ['I tried it and it worked.', []],
  ['I read it last year.', []],
  ['I saw it yesterday.', []],
  ['I loved that movie.', []],
  ['I bought it last week.', []],
  ['I went there last summer.', []],
  ["I've been there twice.", []],
  ['I told him about it.', []],
  ['I asked her out.', []],
]

describe('NlpExtractor on natural speech', () => {
  it.each(TABLE)('%s', { timeout: 30_000 }, async (text, expected) => {
    expect(await contents(text)).toEqual(expected)
  })

  it('holds at least 300 utterances, most of them yielding a fact', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(300)
    expect(TABLE.filter(([, facts]) => facts.length > 0).length).toBeGreaterThan(150)
  })
})

describe('NlpExtractor slots', () => {
  const slot = async (text: string) => (await extract([userItem(text)])).map(({ content, kind, key }) => ({ content, kind, key }))

  it('keys the slots that supersede each other', async () => {
    expect(await slot("Hi, I'm Priya.")).toEqual([{ content: 'Name is Priya', kind: 'name', key: 'name' }])
    expect(await slot('Call me Eli')).toEqual([{ content: 'Goes by Eli', kind: 'name', key: 'name' }])
    expect(await slot('I live in Berlin')).toEqual([{ content: 'Lives in Berlin', kind: 'location', key: 'home_location' }])
    expect(await slot('I moved to Oslo last year')).toEqual([{ content: 'Moved to Oslo in 2025', kind: 'location', key: 'home_location' }])
    expect(await slot('I work at Spotify')).toEqual([{ content: 'Works at Spotify', kind: 'work', key: 'employer' }])
    expect(await slot("I'm a nurse")).toEqual([{ content: 'Is a nurse', kind: 'work', key: 'job_title' }])
    expect(await slot("I'm allergic to peanuts")).toEqual([{ content: 'Is allergic to peanuts', kind: 'health', key: 'allergy_peanuts' }])
    expect(await slot("I'm vegetarian")).toEqual([{ content: 'Is vegetarian', kind: 'health', key: 'diet' }])
    expect(await slot('My timezone is UTC+9')).toEqual([{ content: 'Timezone is UTC+9', kind: 'profile', key: 'timezone' }])
    expect(await slot('My favorite food is ramen')).toEqual([{ content: 'Favorite food is ramen', kind: 'preference', key: 'favorite_food' }])
    expect(await slot('I love Rust')).toEqual([{ content: 'Loves Rust', kind: 'preference', key: 'opinion_rust' }])
    expect(await slot("I don't like Rust anymore")).toEqual([{ content: "Doesn't like Rust anymore", kind: 'preference', key: 'opinion_rust' }])
    expect(await slot('I prefer tabs over spaces')).toEqual([{ content: 'Prefers tabs over spaces', kind: 'preference', key: 'preference_spaces_vs_tabs' }])
    expect(await slot('We upgraded to Postgres 17 yesterday')).toEqual([{ content: 'Upgraded to Postgres 17 on 2026-12-01', kind: 'decision', key: 'decision_database' }])
  })

  it('reads a new home or a new role as ending the old one', async () => {
    const home = { kind: 'location', key: 'home_location' }
    expect(await slot('We bought a flat in Podgórze, across the river.')).toEqual([{ content: 'Bought a flat in Podgórze, across the river', ...home }])
    expect(await slot('We left Partick for a bigger flat in Finnieston.')).toEqual([{ content: 'Left Partick for a bigger flat in Finnieston', ...home }])
    expect(await slot('I moved into a new apartment in Brooklyn.')).toEqual([{ content: 'Moved into a new apartment in Brooklyn', ...home }])
    const job = { kind: 'work', key: 'job_title' }
    expect(await slot('I became tech lead of the backend team.')).toEqual([{ content: 'Became tech lead of the backend team', ...job }])
    expect(await slot("I've been promoted to senior accountant!")).toEqual([{ content: 'Has been promoted to senior accountant', ...job }])
    expect(await slot('I got the ICU job!')).toEqual([{ content: 'Got the ICU job', ...job }])
    expect(await slot('I started a new job as a data analyst at Monzo.')).toEqual([{ content: 'Started a new job as a data analyst at Monzo', ...job }])
    // Not a home, not a role.
    expect(await slot('I left my keys in the house in Leeds.')).toEqual([{ content: 'Left their keys in the house in Leeds', kind: 'event', key: null }])
    expect(await slot('I became a mother.')).toEqual([{ content: 'Became a mother', kind: 'event', key: null }])
    expect(await slot('I got a new phone.')).toEqual([{ content: 'Got a new phone', kind: 'event', key: null }])
  })

  it('gives other statements a kind and no key', async () => {
    expect(await slot('I have two cats named Miso and Tofu')).toEqual([{ content: 'Has two cats named Miso and Tofu', kind: 'pet', key: null }])
    expect(await slot('My sister loves sushi')).toEqual([{ content: 'Sister loves sushi', kind: 'relationship', key: null }])
    expect(await slot("I'm moving to Oslo next month")).toEqual([{ content: 'Is moving to Oslo in January 2027', kind: 'note', key: null }])
    expect(await slot('I will start my new job on Monday')).toEqual([{ content: 'Will start their new job on 2026-12-07', kind: 'plan', key: null }])
    expect(await slot('I ran a half marathon on Sunday')).toEqual([{ content: 'Ran a half marathon on 2026-11-29', kind: 'event', key: null }])
  })
})

describe('NlpExtractor batches', () => {
  it('replaces the existing fact of a slot, and a keyless one that reads like it on a move', async () => {
    const existing: ExistingFact[] = [
      { id: 'f-home', content: 'Lives in Berlin', kind: 'location', key: 'home_location' },
      { id: 'f-rust', content: 'Loves Rust', kind: 'preference', key: 'opinion_rust' },
    ]
    const facts = await extract([userItem('Actually, I live in Oslo now.', 1), userItem("I don't like Rust anymore.", 2)], existing)
    expect(facts.map((f) => [f.content, f.key, f.replacesFactId])).toEqual([
      ['Lives in Oslo', 'home_location', 'f-home'],
      ["Doesn't like Rust anymore", 'opinion_rust', 'f-rust'],
    ])
    const keyless: ExistingFact[] = [{ id: 'f-old', content: 'Lives in Berlin', kind: 'note', key: null }]
    const moved = await extract([userItem('I moved to Oslo.')], keyless)
    expect(moved.map((f) => [f.content, f.replacesFactId])).toEqual([['Moved to Oslo', 'f-old']])
  })

  it('leaves an existing fact alone when the slot says the same, and lets a later candidate supersede by key', async () => {
    const existing: ExistingFact[] = [{ id: 'f-home', content: 'Lives in Berlin', kind: 'location', key: 'home_location' }]
    const facts = await extract([userItem('I live in Berlin.', 1), userItem('I moved to Oslo.', 2)], existing)
    expect(facts.map((f) => [f.content, f.replacesFactId, f.sourceMessageIds])).toEqual([
      ['Lives in Berlin', null, [1]],
      ['Moved to Oslo', null, [2]],
    ])
  })

  it('merges a repeated statement into one candidate citing every message', async () => {
    const facts = await extract([userItem("I'm vegetarian.", 1), userItem("I'm vegetarian, remember?", 2), userItem('I am vegetarian.', 3)])
    expect(facts).toHaveLength(1)
    expect(facts[0]!.sourceMessageIds).toEqual([1, 2, 3])
  })

  it('reads only user messages unless asked to read the assistant too', async () => {
    const items = [userItem('I live in Berlin.', 1, 'assistant'), userItem('I live in Oslo.', 2, 'function_call')]
    expect(await extract(items)).toEqual([])
    const withAssistant = await extract(items, [], new NlpExtractor({ includeAssistant: true }))
    expect(withAssistant.map((f) => [f.content, f.confidence])).toEqual([['Lives in Berlin', 0.72]])
  })

  it('keeps relative dates as typed when the message has no time', async () => {
    const facts = await extract([userItem('I started a new job yesterday.', 1, 'user', null)])
    expect(facts.map((f) => f.content)).toEqual(['Started a new job yesterday'])
  })

  it('reads only the start of a huge message and never throws for odd input', async () => {
    const huge = 'I live in Berlin. ' + 'x'.repeat(1_000_000)
    const odd = ['', '   ', '\u0000\u0001', '```\nI live in Paris\n```', '"'.repeat(5000), '?'.repeat(10_000), '🙂'.repeat(2000), 'I '.repeat(50_000)]
    const facts = await extract([userItem(huge, 1), ...odd.map((text, i) => userItem(text, i + 2)), userItem('I love hiking.', 99)])
    expect(facts.map((f) => f.content)).toEqual(['Lives in Berlin', 'Loves hiking'])
  }, 60_000)

  it('rejects unknown options with a typed error', () => {
    expect(() => new NlpExtractor({ nope: true } as never)).toThrow(FactlineError)
  })

  it('stops when the signal is aborted', async () => {
    const controller = new AbortController()
    controller.abort()
    await expect(new NlpExtractor().extract({ userId: 'u', namespace: 'n', items: [userItem('I live in Berlin.')], existingFacts: [] }, controller.signal)).rejects.toThrow()
  })
})

describe('NlpExtractor labelled precision sample', () => {
  interface Label {
    extractor: string
    source: 'eval' | 'table'
    utterance: string
    fact: string
    correct: boolean
    reason: string
  }
  const labels = JSON.parse(readFileSync(new URL('./fixtures/nlp-extractor-precision.json', import.meta.url), 'utf8')) as Label[]

  it('holds at least 200 labelled nlp-v1 facts, at least 90% correct on the eval dataset', () => {
    const nlp = labels.filter((l) => l.extractor === 'nlp-v1')
    expect(nlp.length).toBeGreaterThanOrEqual(200)
    for (const l of labels) expect(l.reason.length).toBeGreaterThan(0)
    const fromEval = nlp.filter((l) => l.source === 'eval')
    expect(fromEval.filter((l) => l.correct).length / fromEval.length).toBeGreaterThanOrEqual(0.9)
  })

  it('labels facts the extractor still produces from the test-table utterances', async () => {
    const table = labels.filter((l) => l.extractor === 'nlp-v1' && l.source === 'table')
    const byUtterance = new Map<string, string[]>()
    for (const l of table) byUtterance.set(l.utterance, [...(byUtterance.get(l.utterance) ?? []), l.fact])
    for (const [utterance, facts] of byUtterance) expect(await contents(utterance)).toEqual(facts)
  }, 60_000)
})
