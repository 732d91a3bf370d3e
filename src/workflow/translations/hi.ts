import type { Catalog } from '../catalog.js';

/** The built-in workflow in Hindi (Devanagari). Brand names and ₹ amounts stay as they are. */
export const hindi: Catalog = {
  greeting: {
    text: 'नमस्ते! 👋 मैं YouShop असिस्टेंट हूँ। आपके बिज़नेस के लिए सही प्लान ढूँढने के लिए क्या मैं कुछ छोटे सवाल पूछ सकता हूँ?',
    aboutText:
      'YouShop (और रेस्टोरेंट के लिए YouResto) आपका काउंटर और बैक-ऑफ़िस दोनों संभालता है: बिलिंग और GST इनवॉइस, ' +
      'QR पेमेंट, इन्वेंटरी, स्टाफ़ और HR, आपका अपना ऑनलाइन स्टोर, ग्राहकों तक पहुँचने के लिए WhatsApp टूल, और ' +
      'बिज़नेस बढ़ाने के लिए ज़रूरत पड़ने पर लोन। बस कुछ सवाल, और हम बताएँगे कि आपके लिए क्या सही है।',
    declineText: 'कोई बात नहीं! अगर मन बदले तो बस "नमस्ते" लिख दीजिए। आपका दिन शुभ हो।',
    options: { yes: 'हाँ, पूछिए', about: 'यह किस बारे में है?', no: 'नहीं, धन्यवाद' },
  },
  questions: {
    2: {
      text: 'आप किस तरह का बिज़नेस चलाते हैं?',
      options: {
        kirana_retail: 'किराना / रिटेल दुकान',
        restaurant_cafe: 'रेस्टोरेंट / कैफ़े',
        wholesale_fmcg: 'होलसेल / FMCG',
        other: 'अन्य',
      },
    },
    3: { text: 'आपका बिज़नेस किस शहर या कस्बे में है?' },
    4: {
      text: 'आपके बिज़नेस में कितने लोग काम करते हैं?',
      options: {
        just_me: 'सिर्फ़ मैं',
        two_to_five: '2–5',
        six_to_fifteen: '6–15',
        more_than_fifteen: '15 से ज़्यादा',
      },
    },
    5: {
      text: 'आपकी महीने की बिक्री लगभग कितनी है?',
      options: {
        under_50k: '₹50 हज़ार से कम',
        '50k_2l': '₹50 हज़ार – ₹2 लाख',
        '2l_5l': '₹2 लाख – ₹5 लाख',
        over_5l: '₹5 लाख से ज़्यादा',
      },
    },
    6: {
      text: 'आपको सबसे ज़्यादा किसमें मदद चाहिए? जितने चाहें, उतने चुनें।',
      options: {
        billing: 'बिलिंग / इनवॉइस',
        qr_payments: 'QR पेमेंट',
        staff_hr: 'स्टाफ़ / HR',
        inventory: 'इन्वेंटरी (स्टॉक)',
        online_store: 'ऑनलाइन स्टोर',
        whatsapp_marketing: 'WhatsApp मार्केटिंग',
        loans: 'लोन',
      },
    },
  },
  contact: {
    text: 'बहुत बढ़िया, धन्यवाद! हमारी टीम आपसे कैसे संपर्क करे? अपना नाम और फ़ोन नंबर या ई-मेल बताइए।',
    skipLabel: 'अभी नहीं',
  },
  cta: {
    text: 'अब आप आगे क्या करना चाहेंगे?',
    options: {
      talk_to_sales: {
        title: 'सेल्स टीम से बात करें',
        description: 'YouShop के विशेषज्ञ आपको कॉल करके सारे प्लान समझाएँगे।',
      },
      request_callback: {
        title: 'कॉलबैक का अनुरोध करें',
        description: 'अपना समय चुनिए, हम आपको वापस कॉल करेंगे।',
      },
      start_trial: { title: 'फ़्री ट्रायल शुरू करें', description: 'YouShop को 14 दिन मुफ़्त आज़माइए।' },
      restart_bot: { title: 'फिर से शुरू करें', description: 'सवाल शुरू से दोबारा पूछे जाएँगे।' },
      human_help: { title: 'किसी व्यक्ति से बात करें', description: 'हमारी टीम के किसी सदस्य से चैट करें।' },
    },
  },
  completedText: 'धन्यवाद! हमारी टीम जल्द ही आपसे संपर्क करेगी।',
  products: {
    billing: { title: 'बिलिंग और GST इनवॉइस', description: 'GST के हिसाब से तैयार इनवॉइस के साथ तेज़ बिलिंग।' },
    inventory: { title: 'इन्वेंटरी', description: 'स्टॉक का हिसाब, कम स्टॉक की सूचना और परचेज़ ऑर्डर।' },
    qr_payments: { title: 'QR पेमेंट', description: 'काउंटर पर UPI और QR से पेमेंट लीजिए।' },
    staff_hr: { title: 'स्टाफ़ और HR', description: 'हाज़िरी, शिफ़्ट और सैलरी।' },
    online_selling: { title: 'ऑनलाइन स्टोर', description: 'आपका अपना ऑनलाइन स्टोर, आपके काउंटर से जुड़ा हुआ।' },
    whatsapp_tools: { title: 'WhatsApp टूल', description: 'WhatsApp पर बिल और ऑफ़र भेजिए।' },
    loans_offers: { title: 'लोन और ऑफ़र', description: 'YouShop व्यापारियों के लिए बिज़नेस लोन और ऑफ़र।' },
    demo: { title: 'डेमो बुक करें', description: 'किसी विशेषज्ञ के साथ YouShop को लाइव देखिए।' },
    other: { title: 'कुछ और', description: 'बताइए, आपको क्या चाहिए।' },
  },
  messages: {
    invalidOption: 'यह दिए गए विकल्पों में से नहीं है। कृपया इनमें से कोई एक चुनें।',
    textExpected: 'कृपया अपना जवाब लिखकर भेजें।',
    rateLimited: 'आप बहुत तेज़ी से संदेश भेज रहे हैं; कृपया एक पल रुककर फिर कोशिश करें।',
    callbackAsk:
      'अभी हमारी टीम से कोई जवाब नहीं दे सकता; हम {back} वापस आएँगे। हम आपको कब कॉल करें? कोई समय चुनिए, या लिखिए, जैसे 10:30।',
    callbackConfirm: 'धन्यवाद! हम आपको {time} कॉल करेंगे।',
    callbackOutsideHours: 'कृपया वह समय चुनिए जब हमारी टीम उपलब्ध हो, {back} से।',
    send: 'भेजें',
    typeAnswer: 'अपना जवाब लिखें',
    name: 'नाम',
    phone: 'फ़ोन',
    email: 'ई-मेल',
  },
  experiments: {
    greeting_message: {
      A: { text: 'नमस्ते! YouShop में आपका स्वागत है!' },
      B: { text: '🔥 YouShop के साथ अपने बिज़नेस को नई ऊँचाई दीजिए!' },
    },
  },
};
